using Needle.Application.Cases;
using Needle.Core.Cases;
using Needle.Core.Storage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record NoteRequest(string? Text);

internal sealed record AssignmentRequest(string? Reviewer);

internal sealed record OutcomeRequest(OutcomeKind? Kind, string? Recipient, string? Note);

internal sealed record ExportRequest(bool? IncludeMedia, string? Passphrase);

internal sealed record CaseResponse(Guid ReportId, ReportAssignment? Assignment, ReportOutcome? Outcome, IReadOnlyList<ReportOutcome> Outcomes, IReadOnlyList<ReportNote> Notes);

/// <summary>
/// Case work on a report: its note thread, its assignment to a reviewer (admins), its outcome, and the export package
/// for a referral with its import on another server. Every change and every export is audited.
/// </summary>
internal static class CaseEndpoints
{
    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/reports/{id:guid}/case", GetCaseAsync)
            .RequireAuthorization(Policies.ReviewerOrAdmin)
            .WithTags("Cases")
            .WithSummary("The report's case: its assignment, its current outcome and their history, and its note thread (oldest first).");

        api.MapPost("/reports/{id:guid}/notes", AddNoteAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Cases")
            .Accepts<NoteRequest>("application/json")
            .WithSummary("Add a note to the report's thread: {text} (at most 4000 characters). Audited.");

        api.MapPut("/reports/{id:guid}/assignment", AssignAsync)
            .RequireAuthorization(Policies.Admin)
            .WithTags("Cases")
            .Accepts<AssignmentRequest>("application/json")
            .WithSummary("Assign the report to a reviewer: {reviewer: the reviewer key's id}. Replaces any assignment; audited.");

        api.MapDelete("/reports/{id:guid}/assignment", UnassignAsync)
            .RequireAuthorization(Policies.Admin)
            .WithTags("Cases")
            .WithSummary("Remove the report's assignment. Audited.");

        api.MapPost("/reports/{id:guid}/outcome", OutcomeAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Cases")
            .Accepts<OutcomeRequest>("application/json")
            .WithSummary("Record the report's outcome: {kind: referral | informational | closed, recipient (the agency or queue, required for a referral), note}. Kept with its history; audited.");

        api.MapGet("/reports/{id:guid}/export", (Guid id, HttpContext context, CaseService cases, CancellationToken ct) => ExportAsync(id, context, cases, new ExportRequest(false, null), ct))
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Cases")
            .WithSummary("The report's export package (application/zip: package.json, summary.html, manifest.json), without media. Audited.");

        api.MapPost("/reports/{id:guid}/export", async (Guid id, HttpContext context, CaseService cases, NeedleServerOptions options, CancellationToken ct) =>
                await ExportAsync(id, context, cases, await JsonBody.ReadAsync<ExportRequest>(context, options.MaxJsonBytes).ConfigureAwait(false), ct).ConfigureAwait(false))
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Cases")
            .Accepts<ExportRequest>("application/json")
            .WithSummary("The report's export package: {includeMedia, passphrase (at least 12 characters; required with media)}. Media is encrypted with AES-256-GCM under a PBKDF2 key from the passphrase, which also authenticates the manifest. Audited.");

        api.MapPost("/reports/import", ImportAsync)
            .RequireAuthorization(Policies.Admin)
            .WithTags("Cases")
            .WithSummary("Re-create a report from another server's export package: multipart form with 'package' (the zip) and 'passphrase' (when it has one). 201 with the report; 400 for an altered package or a wrong passphrase; 409 when the report exists here already. Audited.");
    }

    private static async Task<IResult> GetCaseAsync(Guid id, INeedleStore store, CancellationToken cancellationToken)
    {
        if (await store.Reports.GetAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"No report {id}.");
        }

        var outcomes = await store.Cases.GetOutcomesAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new CaseResponse(
            id,
            await store.Cases.GetAssignmentAsync(id, cancellationToken).ConfigureAwait(false),
            outcomes.Count > 0 ? outcomes[^1] : null,
            outcomes,
            await store.Cases.GetNotesAsync(id, cancellationToken).ConfigureAwait(false)));
    }

    private static async Task<IResult> AddNoteAsync(Guid id, HttpContext context, CaseService cases, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<NoteRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var note = await cases.AddNoteAsync(id, request.Text, context.User.Actor(), Remote(context), cancellationToken).ConfigureAwait(false);
        return note is null ? Problems.NotFound($"No report {id}.") : TypedResults.Created($"/api/v1/reports/{id}/case", note);
    }

    private static async Task<IResult> AssignAsync(Guid id, HttpContext context, CaseService cases, INeedleStore store, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<AssignmentRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(request.Reviewer))
        {
            return Problems.BadRequest("Name the reviewer.", ["reviewer is required: the id of a reviewer key (DELETE removes an assignment)"]);
        }

        if (!await cases.AssignAsync(id, request.Reviewer, context.User.Actor(), Remote(context), cancellationToken).ConfigureAwait(false))
        {
            return Problems.NotFound($"No report {id}.");
        }

        return TypedResults.Ok(await store.Cases.GetAssignmentAsync(id, cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> UnassignAsync(Guid id, HttpContext context, CaseService cases, CancellationToken cancellationToken) =>
        await cases.AssignAsync(id, null, context.User.Actor(), Remote(context), cancellationToken).ConfigureAwait(false)
            ? Results.NoContent()
            : Problems.NotFound($"No report {id}.");

    private static async Task<IResult> OutcomeAsync(Guid id, HttpContext context, CaseService cases, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<OutcomeRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (request.Kind is not { } kind)
        {
            return Problems.BadRequest("An outcome needs a kind.", ["kind is required: referral, informational or closed"]);
        }

        var outcome = await cases.RecordOutcomeAsync(id, kind, request.Recipient, request.Note, context.User.Actor(), Remote(context), cancellationToken).ConfigureAwait(false);
        return outcome is null ? Problems.NotFound($"No report {id}.") : TypedResults.Created($"/api/v1/reports/{id}/case", outcome);
    }

    private static async Task<IResult> ExportAsync(Guid id, HttpContext context, CaseService cases, ExportRequest request, CancellationToken cancellationToken)
    {
        var package = await cases.ExportAsync(id, request.IncludeMedia ?? false, request.Passphrase, context.User.Actor(), Remote(context), cancellationToken).ConfigureAwait(false);
        if (package is null)
        {
            return Problems.NotFound($"No report {id}.");
        }

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.File(package.Content, "application/zip", package.FileName);
    }

    private static async Task<IResult> ImportAsync(HttpContext context, CaseService cases, CancellationToken cancellationToken)
    {
        if (!context.Request.HasFormContentType)
        {
            return Problems.UnsupportedMediaType("Send the package as multipart/form-data: 'package' (the zip) and 'passphrase'.");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken).ConfigureAwait(false);
        if (form.Files.GetFile("package") is not { Length: > 0 } file)
        {
            return Problems.BadRequest("No package.", ["package is required: the export package (zip) as a file part"]);
        }

        byte[] bytes;
        await using (var stream = file.OpenReadStream())
        {
            bytes = await JsonBody.ReadBoundedAsync(stream, int.MaxValue, "The package", cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var imported = await cases.ImportAsync(bytes, form["passphrase"].FirstOrDefault(), context.User.KeyId(), Remote(context), cancellationToken).ConfigureAwait(false);
            return TypedResults.Created($"/api/v1/reports/{imported.ReportId}", imported);
        }
        catch (PackageRejectedException ex)
        {
            return Problems.BadRequest("The package was refused.", [ex.Message]);
        }
        catch (ReportAlreadyImportedException ex)
        {
            return Problems.Conflict(ex.Message);
        }
    }

    private static string? Remote(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();
}
