using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Needle.Application.Lists;
using Needle.Application.Review;
using Needle.Application.Triage;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record ScoreResponse(double Value, ReviewState State, IReadOnlyList<ScoreReason> Reasons, DateTimeOffset ComputedAt)
{
    public static ScoreResponse? From(PriorityScore? score) => score is null ? null : new(score.Value, score.State, score.Reasons, score.ComputedAt);
}

internal sealed record ClaimResponse(Guid ReportId, string ClaimedBy, DateTimeOffset ClaimedAt, DateTimeOffset ExpiresAt, bool Granted)
{
    public static ClaimResponse From(ReportClaim claim, bool granted) => new(claim.ReportId, claim.ClaimedBy, claim.ClaimedAt, claim.ExpiresAt, granted);
}

internal sealed record QueueItemResponse(
    Guid Id,
    string? ExternalId,
    DateTimeOffset ReceivedAt,
    bool Escalate,
    int FileCount,
    int MatchedFileCount,
    int UndecidedFileCount,
    string? JurisdictionQueue,
    string? JurisdictionCountry,
    string? ReporterOrganisation,
    double Score,
    ReviewState State,
    IReadOnlyList<ScoreReason> Reasons,
    ClaimResponse? Claim,
    string? AssignedTo = null,
    int UnknownFileCount = 0,
    int UnassessableFileCount = 0)
{
    public static QueueItemResponse From(QueueItem item) => new(
        item.Report.Id, item.Report.ExternalId, item.Report.ReceivedAt, item.Report.Escalate, item.Report.FileCount, item.Report.MatchedFileCount,
        item.UndecidedFileCount, item.Report.JurisdictionQueue, item.Report.JurisdictionCountry, item.ReporterOrganisation,
        item.Score.Value, item.Score.State, item.Score.Reasons, item.Claim is { } claim ? ClaimResponse.From(claim, granted: true) : null, item.AssignedTo,
        item.UnknownFileCount, item.UnassessableFileCount);
}

internal sealed record QueuePage(IReadOnlyList<QueueItemResponse> Items, string? Next);

internal sealed record LinkResponse(Guid OtherReportId, LinkKind Kind, string Value, Guid? FileId, Guid? OtherFileId, int? Distance, DateTimeOffset CreatedAt)
{
    public static LinkResponse From(ReportLink link) => new(link.OtherReportId, link.Kind, link.Value, link.FileId, link.OtherFileId, link.Distance, link.CreatedAt);
}

internal sealed record RelatedResponse(Guid ReportId, IReadOnlyList<LinkResponse> Links, IReadOnlyList<Guid> Bundle);

/// <summary>A decision as the API shows it: the category by name and by its Project VIC number.</summary>
internal sealed record DecisionResponse(
    long Id,
    Guid FileId,
    Guid ReportId,
    DecisionCategory Category,
    int CategoryCode,
    string? Note,
    DecisionSource Source,
    string Actor,
    DateTimeOffset At,
    long? Revises,
    long? BasedOn,
    Guid? BasedOnFileId,
    string? BasedOnReason)
{
    public static DecisionResponse From(FileDecision d) => new(
        d.Id, d.FileId, d.ReportId, d.Category, (int)d.Category, d.Note, d.Source, d.Actor, d.At, d.Revises, d.BasedOn, d.BasedOnFileId, d.BasedOnReason);
}

internal sealed record DecisionRequest(JsonElement? Category, string? Note, bool? ApplyToBundle);

internal sealed record OrganisationListChange(string List, IReadOnlyList<int> EntriesAdded, int EntriesDisabled);

internal sealed record DecideResponse(DecisionResponse Decision, IReadOnlyList<DecisionResponse> Carried, OrganisationListChange? OrganisationList);

internal sealed record FalsePositiveRequest(string? List, int? EntryId, string? Note);

internal sealed record FalsePositiveResponse(string AllowList, EntryResponse Entry);

internal sealed record StatsResponse(long ProcessedFiles, long DecidedFiles, long DecidedByAnalyst, long DecidedAutomatically, double AutoResolvedShare);

/// <summary>
/// Triage: the review queue, claims, related reports, decisions, false positives and their feedback export, and the
/// decision statistics. Reviewers work here; admins may end a claim and export feedback.
/// </summary>
internal static class TriageEndpoints
{
    private const int MaxQueuePage = 500;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/queue", QueueAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .WithSummary("Reports awaiting review, highest priority first, with the reasons of their score and their claim. Filters: state (awaiting-review, reviewed, informational, untriaged), jurisdiction (queue), country, list, reporter, excludeClaimed (or mine) =true leaves out reports others hold; sort=score (default: highest first), age (oldest first) or files (most first) orders the whole queue; page with after/limit (a cursor belongs to its sort).");

        api.MapPost("/reports/{id:guid}/claim", ClaimAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .WithSummary("Claim a report so nobody else opens it (renews your own claim): 200 granted, 409 with the current holder.");

        api.MapDelete("/reports/{id:guid}/claim", ReleaseAsync)
            .RequireAuthorization(Policies.ReviewerOrAdmin)
            .WithTags("Triage")
            .WithSummary("End your claim on a report; an admin ends anyone's.");

        api.MapGet("/reports/{id:guid}/related", RelatedAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .WithSummary("The reports linked to this one (kind, shared value, files, PDQ distance) and its bundle (reports sharing its media).");

        api.MapPost("/files/{id:guid}/decision", DecideAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .Accepts<DecisionRequest>("application/json")
            .WithSummary("Decide a file: {category: 0-4 or 9, or a name (non-pertinent, child-abuse-material, exploitative-or-age-difficult, cgi-or-animation, comparison, needs-escalation), note, applyToBundle}. Also applied to its undecided copies; child abuse material that matched nothing goes to the organisation's list.");

        api.MapGet("/files/{id:guid}/decisions", HistoryAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .WithSummary("Every decision on a file, oldest first (the last is the current one).");

        api.MapPost("/files/{id:guid}/false-positive", FalsePositiveAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .Accepts<FalsePositiveRequest>("application/json")
            .WithSummary("Mark a file's match as a false positive: {list, entryId, note}. The entry's value goes to the false-positive allow list and stops matching.");

        api.MapGet("/lists/{name}/feedback", FeedbackAsync)
            .RequireAuthorization(Policies.Admin)
            .WithTags("Lists")
            .WithSummary("The false positives reported against a list, for its provider: ?format=csv (default) or jsonl.");

        api.MapGet("/triage/stats", async (INeedleStore store, CancellationToken ct) =>
            {
                var s = await store.Triage.GetDecisionStatisticsAsync(ct).ConfigureAwait(false);
                return TypedResults.Ok(new StatsResponse(s.ProcessedFiles, s.DecidedFiles, s.DecidedByAnalyst, s.DecidedAutomatically, s.AutoResolvedShare));
            })
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Triage")
            .WithSummary("How many files are decided, by analysts and automatically (same hash), and the share resolved automatically.");
    }

    private static async Task<IResult> QueueAsync(
        HttpContext context,
        INeedleStore store,
        TimeProvider time,
        string? state,
        string? jurisdiction,
        string? country,
        string? list,
        string? reporter,
        string? excludeClaimed,
        string? mine,
        string? after,
        string? limit,
        string? sort,
        CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var reviewState = ReviewState.AwaitingReview;
        var order = QueueOrder.Score;
        if (sort is not null && !TryParseOrder(sort, out order))
        {
            errors.Add("sort must be score, age or files");
        }

        if (state is not null && !TryParseState(state, out reviewState))
        {
            errors.Add("state must be awaiting-review, reviewed, informational or untriaged");
        }

        var exclude = false;
        foreach (var (name, value) in new[] { ("excludeClaimed", excludeClaimed), ("mine", mine) })
        {
            if (value is null)
            {
                continue;
            }

            if (bool.TryParse(value, out var flag))
            {
                exclude |= flag;
            }
            else
            {
                errors.Add($"{name} must be true or false");
            }
        }

        var pageSize = 50;
        if (limit is not null && !(int.TryParse(limit, CultureInfo.InvariantCulture, out pageSize) && pageSize is >= 1 and <= MaxQueuePage))
        {
            errors.Add($"limit must be 1 to {MaxQueuePage}");
        }

        if (country is not null && !(country is { Length: 2 } && country.All(char.IsAsciiLetter)))
        {
            errors.Add("country must be a two-letter ISO 3166-1 code");
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("Invalid query parameters.", errors);
        }

        var query = new QueueQuery
        {
            State = reviewState,
            JurisdictionQueue = string.IsNullOrWhiteSpace(jurisdiction) ? null : jurisdiction,
            Country = country?.ToUpperInvariant(),
            ListName = string.IsNullOrWhiteSpace(list) ? null : list,
            Reporter = string.IsNullOrWhiteSpace(reporter) ? null : reporter,
            ExcludeClaimedByOthers = exclude,
            Viewer = context.User.Actor(),
            Order = order,
            After = string.IsNullOrEmpty(after) ? null : after,
            Limit = pageSize,
        };
        try
        {
            var page = await store.Triage.QueueAsync(query, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new QueuePage([.. page.Items.Select(QueueItemResponse.From)], page.Next));
        }
        catch (ArgumentException)
        {
            return Problems.BadRequest("The 'after' cursor is not one this server gave out for this sort.");
        }
    }

    private static async Task<IResult> ClaimAsync(Guid id, HttpContext context, INeedleStore store, ScoringOptions scoring, TimeProvider time, CancellationToken cancellationToken)
    {
        var actor = context.User.Actor();
        var now = time.GetUtcNow();
        var audit = new AuditEntryDraft(actor, "report.claim", $"report/{id}", null, RemoteAddress(context));
        var result = await store.Triage.TryClaimAsync(id, actor, now, now + scoring.ClaimDuration, audit, cancellationToken).ConfigureAwait(false);
        if (result is not { } claimed)
        {
            return Problems.NotFound($"No report {id}.");
        }

        var body = ClaimResponse.From(claimed.Claim, claimed.Granted);
        return claimed.Granted ? TypedResults.Ok(body) : TypedResults.Conflict(body);
    }

    private static async Task<IResult> ReleaseAsync(Guid id, HttpContext context, INeedleStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var actor = context.User.Actor();

        // An admin never holds claims (it is not a reviewer): it ends whoever's claim, e.g. an analyst gone home.
        var force = IsAdmin(context.User);
        var audit = new AuditEntryDraft(actor, force ? "report.claim.force-release" : "report.claim.release", $"report/{id}", null, RemoteAddress(context));
        if (await store.Triage.ReleaseClaimAsync(id, actor, force, audit, cancellationToken).ConfigureAwait(false))
        {
            return Results.NoContent();
        }

        if (await store.Triage.GetClaimAsync(id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } held)
        {
            return TypedResults.Conflict(ClaimResponse.From(held, granted: false));
        }

        return Problems.NotFound($"Report {id} has no claim to end.");
    }

    private static async Task<IResult> RelatedAsync(Guid id, INeedleStore store, ScoringOptions scoring, CancellationToken cancellationToken)
    {
        if (await store.Reports.GetAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"No report {id}.");
        }

        var links = await store.Triage.GetLinksAsync(id, cancellationToken).ConfigureAwait(false);
        var bundle = await store.Triage.GetBundleAsync(id, scoring.MaxBundleReports, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new RelatedResponse(id, [.. links.Select(LinkResponse.From)], bundle));
    }

    private static async Task<IResult> DecideAsync(Guid id, HttpContext context, DecisionService decisions, ScoringOptions scoring, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<DecisionRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (request.Category is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return Problems.BadRequest("A decision needs a category.", ["category is required: 0-4 or 9, or its name"]);
        }

        var text = element.ValueKind switch
        {
            JsonValueKind.Number => element.GetRawText(),
            JsonValueKind.String => element.GetString(),
            _ => null,
        };
        if (!DecisionService.TryParseCategory(text, out var category))
        {
            var names = string.Join(", ", Enum.GetValues<DecisionCategory>().Select(c => $"{(int)c} {DecisionService.CategoryName(c)}"));
            return Problems.BadRequest($"Unknown category '{Problems.Echo(element.ValueKind == JsonValueKind.String ? text : element.GetRawText())}'.", [$"category must be one of: {names}"]);
        }

        if (request.Note is { Length: > 4000 })
        {
            return Problems.BadRequest("The note is too long.", ["note must be at most 4000 characters"]);
        }

        try
        {
            var result = await decisions.DecideAsync(id, category, request.Note, request.ApplyToBundle ?? false, context.User.Actor(), RemoteAddress(context), cancellationToken)
                .ConfigureAwait(false);
            var listChange = result.OrganisationListEntries.Count > 0 || result.OrganisationListEntriesDisabled > 0
                ? new OrganisationListChange(scoring.OrganisationList, [.. result.OrganisationListEntries.Select(e => e.Id)], result.OrganisationListEntriesDisabled)
                : null;
            return TypedResults.Ok(new DecideResponse(DecisionResponse.From(result.Decision), [.. result.Carried.Select(DecisionResponse.From)], listChange));
        }
        catch (FileNotFoundInStoreException)
        {
            return Problems.NotFound($"No file {id}.");
        }
    }

    private static async Task<IResult> HistoryAsync(Guid id, INeedleStore store, CancellationToken cancellationToken)
    {
        if (await store.Reports.GetFileAsync(id, cancellationToken).ConfigureAwait(false) is null)
        {
            return Problems.NotFound($"No file {id}.");
        }

        var history = await store.Triage.GetDecisionHistoryAsync(id, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(history.Select(DecisionResponse.From).ToList());
    }

    private static async Task<IResult> FalsePositiveAsync(Guid id, HttpContext context, FalsePositiveService falsePositives, ScoringOptions scoring, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<FalsePositiveRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(request.List))
        {
            errors.Add("list is required: the list whose entry matched");
        }

        if (request.EntryId is null)
        {
            errors.Add("entryId is required: the entry that matched");
        }

        if (request.Note is { Length: > 4000 })
        {
            errors.Add("note must be at most 4000 characters");
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("The false positive is incomplete.", errors);
        }

        try
        {
            var entry = await falsePositives.MarkAsync(id, request.List!, request.EntryId!.Value, request.Note, context.User.Actor(), RemoteAddress(context), cancellationToken)
                .ConfigureAwait(false);
            return TypedResults.Created($"/api/v1/lists/{Uri.EscapeDataString(scoring.FalsePositiveList)}/entries", new FalsePositiveResponse(scoring.FalsePositiveList, EntryResponse.From(entry)));
        }
        catch (FileNotFoundInStoreException)
        {
            return Problems.NotFound($"No file {id}.");
        }
        catch (KeyNotFoundException ex)
        {
            // No such list, no such entry, or the file did not match it: the message says which.
            return Problems.NotFound(ex.Message);
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static async Task<IResult> FeedbackAsync(string name, string? format, HttpContext context, FalsePositiveService falsePositives, HashListService matchers, INeedleStore store, CancellationToken cancellationToken)
    {
        var kind = (format ?? "csv").ToLowerInvariant();
        if (kind is not ("csv" or "jsonl"))
        {
            return Problems.BadRequest($"Unknown format '{Problems.Echo(format)}'.", ["format must be csv or jsonl"]);
        }

        var rows = falsePositives.Feedback(name);
        if (rows.Count == 0 && matchers.FindList(name) is null)
        {
            return Problems.NotFound($"There is no list named '{Problems.Echo(name)}'.");
        }

        var details = JsonSerializer.Serialize(new { format = kind, rows = rows.Count });
        await store.Audit.AppendAsync(new AuditEntryDraft(context.User.Actor(), "list.feedback.export", $"list/{name}", details, RemoteAddress(context)), cancellationToken)
            .ConfigureAwait(false);
        return kind == "csv"
            ? TypedResults.File(Encoding.UTF8.GetBytes(FalsePositiveService.ToCsv(rows)), "text/csv", $"{name}-false-positives.csv")
            : TypedResults.File(Encoding.UTF8.GetBytes(FalsePositiveService.ToJsonLines(rows)), "application/x-ndjson", $"{name}-false-positives.jsonl");
    }

    /// <summary>"score", "age" or "files" (any case): the orders <see cref="QueueOrder"/> names, and nothing else (not numbers).</summary>
    private static bool TryParseOrder(string text, out QueueOrder order)
    {
        order = text.ToLowerInvariant() switch
        {
            "score" => QueueOrder.Score,
            "age" => QueueOrder.Age,
            "files" => QueueOrder.Files,
            _ => (QueueOrder)(-1),
        };
        return Enum.IsDefined(order);
    }

    private static bool TryParseState(string text, out ReviewState state)
    {
        foreach (var value in Enum.GetValues<ReviewState>())
        {
            var kebab = JsonNamingPolicy.KebabCaseLower.ConvertName(value.ToString());
            if (string.Equals(text, kebab, StringComparison.OrdinalIgnoreCase) || string.Equals(text, value.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                state = value;
                return true;
            }
        }

        state = default;
        return false;
    }

    private static string? RemoteAddress(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    private static bool IsAdmin(ClaimsPrincipal user) => user.IsInRole(Policies.RoleName(ApiRole.Admin));
}
