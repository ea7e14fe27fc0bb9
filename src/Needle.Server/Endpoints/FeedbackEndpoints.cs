using Needle.Application.Exchanges;
using Needle.Core.Exchanges;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

/// <summary>One feedback to an exchange's provider, as the API shows it (nothing secret: the credentials never come near it).</summary>
internal sealed record FeedbackResponse(
    long Id, string Exchange, string Kind, string Verdict, string State, string List, int EntryId, string Item, Guid FileId, string Origin, DateTimeOffset QueuedAt, int Attempts,
    DateTimeOffset? NextAttemptAt, DateTimeOffset? SentAt, string? Error)
{
    public static FeedbackResponse From(StoredExchangeFeedback f) => new(
        f.Id, f.Exchange, f.Kind, ExchangeFeedbackService.Name(f.Feedback.Verdict), ExchangeFeedbackService.Name(f.State), f.Feedback.ListName, f.Feedback.EntryId, f.Feedback.ItemKey,
        f.Feedback.FileId, f.Feedback.Origin, f.Feedback.At, f.Attempts, f.State is FeedbackState.Queued or FeedbackState.Sending ? f.NextAttemptAt : null, f.SentAt, f.Error);
}

/// <summary>The feedback given to exchange providers: per file (reviewer) and per exchange (admin).</summary>
internal static class FeedbackEndpoints
{
    private const int MaxLimit = 1000;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/files/{id:guid}/feedback", FileAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithTags("Exchanges")
            .WithSummary("The feedback given to exchange providers on the entries this file matched, oldest first, with its state (queued, sending, sent, failed, cancelled).");

        api.MapGet("/exchanges/{name}/feedback", ExchangeAsync)
            .RequireAuthorization(Policies.Admin)
            .WithTags("Exchanges")
            .WithSummary("The feedback queued for an exchange's provider, newest first (?limit, default 100, at most 1000).");
    }

    /// <summary>The feedback on the entries the files matched.</summary>
    public static Task<IReadOnlyList<StoredExchangeFeedback>> ForFilesAsync(INeedleStore store, IEnumerable<StoredFile> files, CancellationToken ct) =>
        store.ExchangeFeedback.ForEntriesAsync([.. files.SelectMany(static f => f.Matches).Where(static m => !m.AllowList).Select(static m => (m.ListName, m.EntryId)).Distinct()], ct);

    /// <summary>The report with each match's feedback.</summary>
    public static ReportResponse WithFeedback(ReportResponse report, IReadOnlyList<StoredExchangeFeedback> feedback)
    {
        if (feedback.Count == 0)
        {
            return report;
        }

        var byEntry = feedback.ToLookup(static f => (f.Feedback.ListName, f.Feedback.EntryId));
        return report with
        {
            Files = [.. report.Files.Select(file => file with
            {
                Matches = [.. file.Matches.Select(m => byEntry.Contains((m.List, m.EntryId)) ? m with { Feedback = [.. byEntry[(m.List, m.EntryId)].Select(FeedbackResponse.From)] } : m)],
            })],
        };
    }

    private static async Task<IResult> FileAsync(Guid id, INeedleStore store, CancellationToken cancellationToken)
    {
        var file = await store.Reports.GetFileAsync(id, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return Problems.NotFound($"No file {id}.");
        }

        var rows = await ForFilesAsync(store, [file], cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(rows.Select(FeedbackResponse.From).ToList());
    }

    private static async Task<IResult> ExchangeAsync(string name, string? limit, INeedleStore store, CancellationToken cancellationToken)
    {
        var take = 100;
        if (limit is not null && (!int.TryParse(limit, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out take) || take is < 1 or > MaxLimit))
        {
            return Problems.BadRequest("Bad limit.", [$"limit must be a whole number from 1 to {MaxLimit}"]);
        }

        var exchange = await store.Exchanges.GetAsync(name, cancellationToken).ConfigureAwait(false);
        if (exchange is null)
        {
            return Problems.NotFound($"No exchange '{Problems.Echo(name)}'.");
        }

        var rows = await store.ExchangeFeedback.ForExchangeAsync(exchange.Id, take, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(rows.Select(FeedbackResponse.From).ToList());
    }
}
