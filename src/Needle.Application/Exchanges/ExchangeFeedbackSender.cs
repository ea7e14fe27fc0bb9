using System.Text.Json;
using Microsoft.Extensions.Http.Resilience;
using Needle.Application.Media;
using Needle.Application.Processing;
using Needle.Core.Audit;
using Needle.Core.Exchanges;
using Needle.Core.Jobs;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Polly;

namespace Needle.Application.Exchanges;

/// <summary>
/// Runs <see cref="JobKinds.SendExchangeFeedback"/> jobs on any worker: takes the due feedback one at a time under a
/// lease (two workers never send the same one), sends it through a resilience pipeline (a 5xx, a 408, a 429 waiting its
/// Retry-After, or a network error retried with backoff within the call), and records the outcome under the lease:
/// acknowledged (audited, never sent again), given back for a later attempt with a growing delay (never sooner than the
/// provider's Retry-After), or failed for good with the provider's answer (a 4xx other than 429, or too many
/// attempts; audited). Thread-safe.
/// </summary>
public sealed class ExchangeFeedbackSender : IDisposable
{
    /// <summary>Feedback one job sends at most; a new job is queued when more are due (no job runs forever).</summary>
    private const int PerJob = 100;

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromHours(6);

    /// <summary>The longest Retry-After waited within a call.</summary>
    private static readonly TimeSpan MaxInCallWait = TimeSpan.FromSeconds(30);

    private readonly INeedleStore _store;
    private readonly MediaProtector _protector;
    private readonly TimeProvider _time;
    private readonly ExchangeOptions _options;
    private readonly HttpClient _http;

    /// <summary>A sender over <paramref name="store"/>'s feedback queue.</summary>
    /// <param name="store">The store (exchanges, the feedback queue, jobs, audit).</param>
    /// <param name="protector">The media key the exchanges' credentials are encrypted with.</param>
    /// <param name="time">The clock (leases, backoff, retry delays).</param>
    /// <param name="options">Leases, retries and the feedback backoff.</param>
    /// <param name="handler">The HTTP handler under the retries (null: a new one); disposed with the sender.</param>
    public ExchangeFeedbackSender(INeedleStore store, MediaProtector protector, TimeProvider time, ExchangeOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _protector = protector;
        _time = time;
        _options = options;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,

                // A provider asking for a long wait is waited out in the queue (the feedback's next attempt), not in the call.
                ShouldHandle = args => ValueTask.FromResult(
                    HttpClientResiliencePredicates.IsTransient(args.Outcome)
                    && !(args.Outcome.Result is { } response && ExchangeFeedbackRequests.RetryAfter(response) > MaxInCallWait)),
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
        _http = new HttpClient(new ResilienceHandler(pipeline) { InnerHandler = handler ?? new SocketsHttpHandler { AllowAutoRedirect = false } }, disposeHandler: true)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    /// <summary>Whether this sender runs jobs of <paramref name="kind"/>.</summary>
    public static bool Runs(string kind) => string.Equals(kind, JobKinds.SendExchangeFeedback, StringComparison.Ordinal);

    /// <summary>Runs a leased send job: sends what is due and completes the job (queuing another when more is due).</summary>
    public async Task<ProcessOutcome> ProcessAsync(LeasedJob job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (await SendDueAsync(ct).ConfigureAwait(false) >= PerJob)
        {
            await _store.Jobs.EnqueueAsync(JobKinds.SendExchangeFeedback, Guid.Empty, ct).ConfigureAwait(false);
        }

        return await _store.Jobs.CompleteAsync(job, ct).ConfigureAwait(false) ? ProcessOutcome.Completed : ProcessOutcome.LeaseLost;
    }

    /// <summary>Sends the feedback due now, one at a time; returns how many were taken.</summary>
    public async Task<int> SendDueAsync(CancellationToken ct = default)
    {
        var taken = 0;
        while (taken < PerJob)
        {
            var token = Guid.NewGuid();
            var now = _time.GetUtcNow();
            var feedback = await _store.ExchangeFeedback.TryLeaseAsync(token, _options.Holder, now, now + _options.Lease, ct).ConfigureAwait(false);
            if (feedback is null)
            {
                break;
            }

            taken++;
            await SendAsync(feedback, token, ct).ConfigureAwait(false);
        }

        return taken;
    }

    private async Task SendAsync(StoredExchangeFeedback feedback, Guid token, CancellationToken ct)
    {
        var exchange = await _store.Exchanges.GetAsync(feedback.Feedback.ExchangeId, ct).ConfigureAwait(false);
        if (exchange is null)
        {
            await FailAsync(feedback, token, "The exchange was deleted.", ct).ConfigureAwait(false);
            return;
        }

        Dictionary<string, string> credentials = [];
        FeedbackOutcome outcome;
        try
        {
            credentials = ExchangeService.DecryptForUse(_protector, exchange);

            var settings = JsonSerializer.Deserialize<Dictionary<string, string>>(exchange.Settings) ?? [];
            outcome = await ExchangeFeedbackRequests.SendAsync(_http, exchange.Kind, settings, credentials, feedback, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ExchangeFetchException or JsonException or FormatException or UriFormatException)
        {
            // Nothing a later attempt would change by itself: failed, with the reason, for an admin to see.
            await FailAsync(feedback, token, ExchangeFetcher.Redact(e.Message, credentials), ct).ConfigureAwait(false);
            return;
        }

        if (outcome.Sent)
        {
            var details = JsonSerializer.Serialize(new SentAuditDetails(feedback.Id, exchange.Kind, ExchangeFeedbackService.Name(feedback.Feedback.Verdict), feedback.Feedback.ItemKey, feedback.Feedback.FileId, feedback.Attempts), DocumentJson.Options);
            await _store.ExchangeFeedback.AcknowledgeAsync(feedback.Id, token, _time.GetUtcNow(), new AuditEntryDraft("exchange:" + exchange.Name, "exchange.feedback.sent", "exchange/" + exchange.Name, details, null), ct)
                .ConfigureAwait(false);
            return;
        }

        var error = outcome.Error ?? "The provider did not acknowledge the feedback.";
        if (!outcome.Retry)
        {
            await FailAsync(feedback, token, error, ct).ConfigureAwait(false);
            return;
        }

        if (feedback.Attempts >= _options.FeedbackMaxAttempts)
        {
            await FailAsync(feedback, token, $"Gave up after {feedback.Attempts} attempts; the last: {error}", ct).ConfigureAwait(false);
            return;
        }

        // Doubling from the first delay, capped; never sooner than the provider asked.
        var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, _options.FeedbackRetryDelay.Ticks * (1L << Math.Min(20, feedback.Attempts - 1))));
        if (outcome.RetryAfter is { } asked && asked > backoff)
        {
            backoff = asked;
        }

        await _store.ExchangeFeedback.RetryAsync(feedback.Id, token, _time.GetUtcNow() + backoff, error, ct).ConfigureAwait(false);
    }

    private async Task FailAsync(StoredExchangeFeedback feedback, Guid token, string error, CancellationToken ct)
    {
        var details = JsonSerializer.Serialize(new FailedAuditDetails(feedback.Id, feedback.Kind, ExchangeFeedbackService.Name(feedback.Feedback.Verdict), feedback.Feedback.ItemKey, feedback.Feedback.FileId, feedback.Attempts, error), DocumentJson.Options);
        await _store.ExchangeFeedback.FailAsync(feedback.Id, token, error, new AuditEntryDraft("exchange:" + feedback.Exchange, "exchange.feedback.failed", "exchange/" + feedback.Exchange, details, null), ct)
            .ConfigureAwait(false);
    }

    /// <summary>Releases the HTTP client.</summary>
    public void Dispose() => _http.Dispose();

    private sealed record SentAuditDetails(long Feedback, string Kind, string Verdict, string Item, Guid File, int Attempts);

    private sealed record FailedAuditDetails(long Feedback, string Kind, string Verdict, string Item, Guid File, int Attempts, string Error);
}
