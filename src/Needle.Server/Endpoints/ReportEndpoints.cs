using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Application.Intake;
using Needle.Application.Media;
using Needle.Core.Audit;
using Needle.Core.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record SubmitResponse(Guid Id, string Status);

internal sealed record MatchResponse(string List, int EntryId, string? Label, string? Category, string SignalType, string Value, double Distance, string Transform, bool AllowList, VideoMatchDetails? Video)
{
    public static MatchResponse From(StoredMatch m) => new(m.ListName, m.EntryId, m.Label, m.Category, m.SignalType, m.Value, m.Distance, m.Transform, m.AllowList, m.Video)
    {
        Frame = m.Video?.Frame,
    };

    /// <summary>For an animation: the frame (after frame 0) that matched.</summary>
    public int? Frame { get; init; }

    /// <summary>The feedback given to the provider of the exchange that fed the entry, oldest first; null when none.</summary>
    public IReadOnlyList<FeedbackResponse>? Feedback { get; init; }
}

internal sealed record FileHashes(string? Md5, string? Sha1, string? Sha256, string? Pdq, int? PdqQuality);

internal sealed record FileResponse(
    Guid Id,
    int Ordinal,
    string? OriginalName,
    string? ContentType,
    long Size,
    bool HasMedia,
    FileState State,
    string? Error,
    FileHashes Hashes,
    ReporterHashes? ReporterHashes,
    int? Width,
    int? Height,
    string? Format,
    IReadOnlyList<MatchResponse> Matches,
    FileClues? Clues,
    VideoSummary? Video,
    string? Media)
{
    /// <summary>The file's current decision, once one was made.</summary>
    public DecisionResponse? Decision { get; init; }

    public static FileResponse From(StoredFile f) => new(
        f.Id, f.Ordinal, f.OriginalName, f.ContentType, f.Size, f.HasMedia, f.State, ErrorText.ForClient(f.Error),
        new FileHashes(f.Md5, f.Sha1, f.Sha256, f.Pdq, f.PdqQuality), f.ReporterHashes, f.Width, f.Height, f.Format,
        [.. f.Matches.Select(MatchResponse.From)],
        f.Clues,
        f.Video,
        f.HasMedia ? $"/api/v1/files/{f.Id}/media" : null);
}

internal sealed record ReportResponse(
    Guid Id,
    string? ExternalId,
    ReportStatus Status,
    DateTimeOffset ReceivedAt,
    DateTimeOffset? ProcessedAt,
    bool Escalate,
    Guid SubmittedBy,
    int MatchedFileCount,
    ReportSubmission Submission,
    ReportJurisdiction? Jurisdiction,
    IReadOnlyList<FileResponse> Files)
{
    /// <summary>The priority score, its reasons and the review state; null before the report is triaged.</summary>
    public ScoreResponse? Score { get; init; }

    public ReviewState ReviewState { get; init; }

    /// <summary>The report with its score and each file's current decision.</summary>
    public static ReportResponse From(StoredReport r, PriorityScore? score, IReadOnlyDictionary<Guid, FileDecision> decisions) => From(r) with
    {
        Score = ScoreResponse.From(score),
        ReviewState = score?.State ?? ReviewState.Untriaged,
        Files = [.. r.Files.Select(f => FileResponse.From(f) with { Decision = decisions.TryGetValue(f.Id, out var d) ? DecisionResponse.From(d) : null })],
    };

    public static ReportResponse From(StoredReport r) => new(
        r.Id, r.Submission.ExternalId, r.Status, r.ReceivedAt, r.ProcessedAt, r.Submission.Escalate, r.SubmittedBy,
        r.Files.Count(f => f.Matches.Any(m => !m.AllowList)), r.Submission, r.Jurisdiction, [.. r.Files.Select(FileResponse.From)]);
}

internal sealed record ReportPage(IReadOnlyList<ReportSummary> Items, string? Next);

/// <summary>Submitting reports (submitter) and reading them, their files and media (reviewer).</summary>
internal static class ReportEndpoints
{
    private const int MaxIdempotencyKeyLength = 200;
    private const int MaxPageSize = 500;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapPost("/reports", SubmitAsync)
            .RequireAuthorization(Policies.Submitter)
            .Accepts<ReportSubmission>("application/json", "multipart/form-data")
            .Produces<SubmitResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("Submit a report: application/json (hashes only) or multipart/form-data with a 'report' JSON part and file parts.");

        api.MapGet("/reports", ListAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithSummary("List reports, newest first; filter by status, escalate, list, jurisdiction (queue), country, from, to; page with after/limit and the 'next' cursor.");

        api.MapGet("/reports/{id:guid}", GetAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithSummary("A report with its files, their hashes, matches, metadata clues and current decisions, its jurisdiction with the evidence, and its priority score with the reasons and review state.");

        api.MapGet("/files/{id:guid}/media", GetMediaAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithSummary("The decrypted media of a file (audited as media.read; never cached).");
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, ReportIntake intake, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        string? idempotencyKey = context.Request.Headers["Idempotency-Key"];
        if (idempotencyKey is { Length: 0 or > MaxIdempotencyKeyLength })
        {
            return Problems.BadRequest($"Idempotency-Key must be 1 to {MaxIdempotencyKeyLength} characters.");
        }

        ReportSubmission submission;
        IReadOnlyList<IncomingMedia> files = [];
        if (JsonBody.IsMultipart(context.Request))
        {
            var upload = await MultipartUpload.ReadAsync(context.Request, Limits(options), cancellationToken).ConfigureAwait(false);
            var report = upload.Fields.TryGetValue("report", out var text) ? Encoding.UTF8.GetBytes(text) : null;
            var media = upload.Files.ToList();
            if (report is null && media.FindIndex(f => f.PartName == "report") is var index and >= 0)
            {
                // The report JSON sent as a file part (curl -F report=@report.json) is accepted too.
                report = media[index].Bytes;
                media.RemoveAt(index);
                if (report.Length > options.MaxJsonBytes)
                {
                    return Problems.TooLarge($"The 'report' part is larger than {options.MaxJsonBytes} bytes.");
                }
            }

            if (report is null)
            {
                return Problems.BadRequest("A multipart report needs a 'report' part holding the report JSON.");
            }

            submission = JsonBody.Parse<ReportSubmission>(report, JsonBody.Options(context), "'report' part");
            files = media;
        }
        else if (JsonBody.IsJson(context.Request))
        {
            submission = await JsonBody.ReadAsync<ReportSubmission>(context, options.MaxJsonBytes).ConfigureAwait(false);
        }
        else
        {
            return Problems.UnsupportedMediaType("Send the report as application/json, or as multipart/form-data with a 'report' part and file parts.");
        }

        // SubmitAsync returns only once the report, its media and its job are committed: 202 means durable.
        var result = await intake.SubmitAsync(submission, files, context.User.KeyId(), idempotencyKey,
            context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        if (!result.Created)
        {
            context.Response.Headers["Idempotent-Replayed"] = "true";
        }

        return TypedResults.Accepted($"/api/v1/reports/{result.ReportId}", new SubmitResponse(result.ReportId, "received"));
    }

    private static async Task<IResult> ListAsync(
        INeedleStore store,
        string? status,
        string? escalate,
        string? list,
        string? jurisdiction,
        string? country,
        string? from,
        string? to,
        string? after,
        string? limit,
        CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        var query = new ReportQuery
        {
            Status = status is null ? null : Enum.TryParse<ReportStatus>(status, true, out var s) && Enum.IsDefined(s) ? s : Error<ReportStatus?>(errors, "status must be received or processed"),
            Escalate = escalate is null ? null : bool.TryParse(escalate, out var e) ? e : Error<bool?>(errors, "escalate must be true or false"),
            ListName = string.IsNullOrWhiteSpace(list) ? null : list,
            JurisdictionQueue = string.IsNullOrWhiteSpace(jurisdiction) ? null : jurisdiction,
            Country = country is null ? null : country is { Length: 2 } && country.All(char.IsAsciiLetter) ? country.ToUpperInvariant() : Error<string?>(errors, "country must be a two-letter ISO 3166-1 code"),
            ReceivedFrom = ParseTime(from, "from", errors),
            ReceivedTo = ParseTime(to, "to", errors),
            After = string.IsNullOrEmpty(after) ? null : after,
            Limit = limit is null ? 50 : int.TryParse(limit, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxPageSize ? n : Error<int>(errors, $"limit must be 1 to {MaxPageSize}"),
        };
        if (errors.Count > 0)
        {
            return Problems.BadRequest("Invalid query parameters.", errors);
        }

        try
        {
            var page = await store.Reports.ListAsync(query, cancellationToken).ConfigureAwait(false);
            return TypedResults.Ok(new ReportPage(page.Items, page.Next));
        }
        catch (FormatException)
        {
            return Problems.BadRequest("The 'after' cursor is not one this server gave out.");
        }
        catch (ArgumentException)
        {
            return Problems.BadRequest("The 'after' cursor is not one this server gave out.");
        }
    }

    private static async Task<IResult> GetAsync(Guid id, INeedleStore store, CancellationToken cancellationToken)
    {
        var report = await store.Reports.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            return Problems.NotFound($"No report {id}.");
        }

        var score = await store.Triage.GetScoreAsync(id, cancellationToken).ConfigureAwait(false);
        var decisions = await store.Triage.GetCurrentDecisionsAsync(id, cancellationToken).ConfigureAwait(false);
        var feedback = await FeedbackEndpoints.ForFilesAsync(store, report.Files, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(FeedbackEndpoints.WithFeedback(ReportResponse.From(report, score, decisions), feedback));
    }

    private static async Task<IResult> GetMediaAsync(Guid id, HttpContext context, INeedleStore store, MediaProtector protector, CancellationToken cancellationToken)
    {
        var media = await store.Reports.GetMediaAsync(id, cancellationToken).ConfigureAwait(false);
        if (media is null)
        {
            return Problems.NotFound($"No media for file {id}.");
        }

        var bytes = protector.Unprotect(media.EncryptedBytes, id);

        // Audited before a byte is sent: if the audit cannot be written, the media is not served.
        var details = JsonSerializer.Serialize(new { report = media.ReportId, size = bytes.Length });
        await store.Audit.AppendAsync(new AuditEntryDraft(context.User.Actor(), "media.read", $"file/{id:N}", details,
            context.Connection.RemoteIpAddress?.ToString()), cancellationToken).ConfigureAwait(false);

        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers.Pragma = "no-cache";
        headers.XContentTypeOptions = "nosniff";

        // Reported media is never rendered as a page by a browser that follows the link.
        headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        return TypedResults.File(bytes, media.ContentType ?? "application/octet-stream", media.OriginalName is { } name ? Path.GetFileName(name) : $"{id:N}");
    }

    internal static UploadLimits Limits(NeedleServerOptions options) =>
        new(options.MaxFileBytes, options.MaxReportBytes, options.MaxFilesPerRequest, options.MaxJsonBytes);

    private static DateTimeOffset? ParseTime(string? text, string name, List<string> errors)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var value))
        {
            return value;
        }

        errors.Add($"{name} must be an ISO 8601 date or time");
        return null;
    }

    private static T Error<T>(List<string> errors, string message)
    {
        errors.Add(message);
        return default!;
    }
}
