using Microsoft.AspNetCore.Mvc;
using Needle.Application.Cases;
using Needle.Application.Intake;
using Needle.Core.Access;
using Needle.Core.Cases;
using Needle.Core.Storage;
using Needle.Server.Web.Pages;

namespace Needle.Server.Web;

/// <summary>
/// The case section of the report page (notes, outcome, export package) and the admins' assignment page. Forms post
/// here and come back to the page with a notice; every change and export is audited by <see cref="CaseService"/>.
/// </summary>
internal static class CaseWebEndpoints
{
    public static void Map(WebApplication app)
    {
        var web = app.MapGroup("").AddEndpointFilter(WebEndpoints.SecurityHeaders);
        web.MapPost("/reports/{id:guid}/notes", AddNoteAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/reports/{id:guid}/outcome", OutcomeAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/reports/{id:guid}/export", ExportAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapGet("/assignments", AssignmentsPageAsync).RequireAuthorization(WebSession.Admin);
        web.MapPost("/assignments", AssignAsync).RequireAuthorization(WebSession.Admin);
    }

    /// <summary>The case section of a report page.</summary>
    public static async Task<CaseModel> LoadAsync(INeedleStore store, Guid reportId, CancellationToken cancellationToken) => new(
        reportId,
        await store.Cases.GetAssignmentAsync(reportId, cancellationToken).ConfigureAwait(false),
        await store.Cases.GetOutcomesAsync(reportId, cancellationToken).ConfigureAwait(false),
        await store.Cases.GetNotesAsync(reportId, cancellationToken).ConfigureAwait(false),
        await KeyNamesAsync(store, cancellationToken).ConfigureAwait(false));

    /// <summary>Every key's name by its actor id (the audit's and the assignments' form of a key id).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> KeyNamesAsync(INeedleStore store, CancellationToken cancellationToken)
    {
        var keys = await store.Keys.ListAsync(cancellationToken).ConfigureAwait(false);
        return keys.ToDictionary(k => k.Id.ToString("N"), k => k.Name, StringComparer.Ordinal);
    }

    private static async Task<IResult> AddNoteAsync(Guid id, HttpContext context, CaseService cases, [FromForm(Name = "text")] string? text, CancellationToken cancellationToken)
    {
        try
        {
            var note = await cases.AddNoteAsync(id, text, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return Results.Redirect(note is null ? WebEndpoints.WithNotice("/queue", "There is no such report.", error: true) : WithNotice(id, "Note added."));
        }
        catch (ReportValidationException ex)
        {
            return Results.Redirect(WithNotice(id, "The note was not added: " + ex.Errors[0], error: true));
        }
    }

    private static async Task<IResult> OutcomeAsync(Guid id, HttpContext context, CaseService cases,
        [FromForm(Name = "kind")] string? kind, [FromForm(Name = "recipient")] string? recipient, [FromForm(Name = "note")] string? note, CancellationToken cancellationToken)
    {
        if (!Enum.TryParse<OutcomeKind>(kind, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(kind, out _))
        {
            return Results.Redirect(WithNotice(id, "Choose an outcome: referral, informational or closed.", error: true));
        }

        try
        {
            var outcome = await cases.RecordOutcomeAsync(id, parsed, recipient, note, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return Results.Redirect(outcome is null ? WebEndpoints.WithNotice("/queue", "There is no such report.", error: true) : WithNotice(id, "Outcome recorded."));
        }
        catch (ReportValidationException ex)
        {
            return Results.Redirect(WithNotice(id, "The outcome was not recorded: " + ex.Errors[0], error: true));
        }
    }

    private static async Task<IResult> ExportAsync(Guid id, HttpContext context, CaseService cases,
        [FromForm(Name = "media")] string? media, [FromForm(Name = "passphrase")] string? passphrase, CancellationToken cancellationToken)
    {
        try
        {
            var package = await cases.ExportAsync(id, media == "on", passphrase, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            if (package is null)
            {
                return Results.Redirect(WebEndpoints.WithNotice("/queue", "There is no such report.", error: true));
            }

            return TypedResults.File(package.Content, "application/zip", package.FileName);
        }
        catch (ReportValidationException ex)
        {
            return Results.Redirect(WithNotice(id, "Nothing was exported: " + ex.Errors[0], error: true));
        }
    }

    private static async Task<IResult> AssignmentsPageAsync(HttpContext context, INeedleStore store, TimeProvider time, string? report, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var reviewers = (await store.Keys.ListAsync(cancellationToken).ConfigureAwait(false))
            .Where(k => k.Role == ApiRole.Reviewer && k.RevokedAt is null && !(k.ExpiresAt <= now))
            .OrderBy(k => k.Name, StringComparer.OrdinalIgnoreCase)
            .Select(k => (k.Id.ToString("N"), k.Name))
            .ToList();
        return WebEndpoints.Page<AssignmentsPage>(new AssignmentsModel(WebEndpoints.Frame(context, "Assignments", "assignments"), reviewers, report));
    }

    private static async Task<IResult> AssignAsync(HttpContext context, CaseService cases,
        [FromForm(Name = "report")] string? report, [FromForm(Name = "reviewer")] string? reviewer, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(report?.Trim(), out var id))
        {
            return Results.Redirect(WebEndpoints.WithNotice("/assignments", "Give the report's id.", error: true));
        }

        var back = "/assignments?report=" + id.ToString("N");
        try
        {
            var done = await cases.AssignAsync(id, string.IsNullOrWhiteSpace(reviewer) ? null : reviewer, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return Results.Redirect(done
                ? WebEndpoints.WithNotice(back, string.IsNullOrWhiteSpace(reviewer) ? "Assignment removed." : "Report assigned.")
                : WebEndpoints.WithNotice(back, "There is no such report.", error: true));
        }
        catch (ReportValidationException ex)
        {
            return Results.Redirect(WebEndpoints.WithNotice(back, ex.Errors[0], error: true));
        }
    }

    private static string WithNotice(Guid id, string notice, bool error = false) => WebEndpoints.WithNotice($"/reports/{id}", notice, error) + "#case";
}
