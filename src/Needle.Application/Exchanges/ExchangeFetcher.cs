using System.Text.Json;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Application.Processing;
using Needle.Core.Audit;
using Needle.Core.Exchanges;
using Needle.Core.Jobs;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Application.Exchanges;

/// <summary>
/// Runs <see cref="JobKinds.FetchExchange"/> jobs: takes the exchange's lease (a second fetch of the same exchange,
/// on any worker, finds it held and leaves), then pulls the provider's pages from the checkpoint and applies each,
/// with its checkpoint, in one store transaction through the list change log, catching this node's lists up after each.
/// The outcome goes to the exchange's status: a failed request (after its retries) or a malformed page is an error
/// there, never a half-applied page or a loop; the next fetch on the schedule tries again. Thread-safe.
/// </summary>
public sealed class ExchangeFetcher
{
    private readonly INeedleStore _store;
    private readonly HashListService _lists;
    private readonly MediaProtector _protector;
    private readonly TimeProvider _time;
    private readonly ExchangeOptions _options;
    private readonly HttpMessageHandler? _handler;

    /// <summary>A fetcher writing into <paramref name="lists"/>' store.</summary>
    /// <param name="store">The store (exchanges, jobs, lists).</param>
    /// <param name="lists">This node's lists, caught up after every batch.</param>
    /// <param name="protector">The media key the credentials are encrypted with.</param>
    /// <param name="time">The clock (timestamps, leases, retry delays).</param>
    /// <param name="options">Leases, paging, retries.</param>
    /// <param name="handler">The HTTP handler under the retries (null: a new one per fetch); not disposed.</param>
    public ExchangeFetcher(INeedleStore store, HashListService lists, MediaProtector protector, TimeProvider time, ExchangeOptions options, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _lists = lists;
        _protector = protector;
        _time = time;
        _options = options;
        _handler = handler;
    }

    /// <summary>Whether this fetcher runs jobs of <paramref name="kind"/>.</summary>
    public static bool Runs(string kind) => string.Equals(kind, JobKinds.FetchExchange, StringComparison.Ordinal);

    /// <summary>Runs a leased fetch job: fetches (or finds the exchange gone or already being fetched) and completes the job.</summary>
    public async Task<ProcessOutcome> ProcessAsync(LeasedJob job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        await FetchAsync(job.SubjectId, ct).ConfigureAwait(false);

        // The fetch's outcome is in the exchange's status; the job is done either way (the schedule fetches again).
        return await _store.Jobs.CompleteAsync(job, ct).ConfigureAwait(false) ? ProcessOutcome.Completed : ProcessOutcome.LeaseLost;
    }

    /// <summary>Fetches the exchange now; false when it is gone or another fetch holds it.</summary>
    public async Task<bool> FetchAsync(Guid exchangeId, CancellationToken ct = default)
    {
        var exchange = await _store.Exchanges.GetAsync(exchangeId, ct).ConfigureAwait(false);
        if (exchange is null)
        {
            return false;
        }

        var token = Guid.NewGuid();
        var started = _time.GetUtcNow();
        if (!await _store.Exchanges.TryLeaseAsync(exchange.Id, token, _options.Holder, started, started + _options.Lease, ct).ConfigureAwait(false))
        {
            return false;
        }

        string? error = null;
        string? notice = null;
        Dictionary<string, string> credentials = [];
        try
        {
            credentials = ExchangeService.DecryptForUse(_protector, exchange);

            var settings = JsonSerializer.Deserialize<Dictionary<string, string>>(exchange.Settings) ?? [];
            using var client = Create(exchange.Kind, new ExchangeContext(exchange.Name, settings, credentials, _options, _time, _handler));
            var status = await _store.Exchanges.GetStatusAsync(exchange.Id, ct).ConfigureAwait(false);
            var checkpoint = status?.Checkpoint;
            var stale = client.StaleReason(checkpoint, _time.GetUtcNow());
            if (stale is not null || status?.FullFetchRequested == true)
            {
                // From the start, marking what arrives: once complete, what the provider no longer has is swept.
                notice = stale ?? "full re-fetch asked by an admin";
                checkpoint = null;
                if (!await _store.Exchanges.StartFullFetchAsync(exchange.Id, token, ct).ConfigureAwait(false))
                {
                    return false;
                }
            }
            else if (status?.FullFetch == true)
            {
                notice = "full re-fetch resumed from its checkpoint";
            }

            await client.BeginAsync(ct).ConfigureAwait(false);

            for (var pages = 0; ; pages++)
            {
                if (pages == _options.MaxPagesPerFetch)
                {
                    notice = $"stopped after {pages} pages; the next fetch goes on from the checkpoint";
                    break;
                }

                var page = await client.NextAsync(checkpoint, ct).ConfigureAwait(false);
                var result = await _store.Exchanges.ApplyAsync(
                        exchange.Id,
                        token,
                        new ExchangeBatch(page.Items, page.Checkpoint),
                        result => new AuditEntryDraft(
                            "exchange:" + exchange.Name,
                            "list.entries.sync",
                            "list/" + exchange.ListName,
                            JsonSerializer.Serialize(new SyncDetails(exchange.Name, exchange.Kind, result.Added, result.Removed), DocumentJson.Options),
                            null),
                        ct)
                    .ConfigureAwait(false);
                await _lists.CatchUpAsync(ct).ConfigureAwait(false);
                if (result.Added + result.Removed > 0)
                {
                    // The scores of open reports may depend on the list, as after any list change.
                    await _store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, ct).ConfigureAwait(false);
                }

                var now = _time.GetUtcNow();
                if (!await _store.Exchanges.RenewAsync(exchange.Id, token, now + _options.Lease, ct).ConfigureAwait(false))
                {
                    return false;
                }

                if (!page.More)
                {
                    // The provider's end: a full fetch under way is complete, so what it did not deliver goes.
                    var swept = await _store.Exchanges.SweepAsync(
                            exchange.Id,
                            token,
                            result => new AuditEntryDraft(
                                "exchange:" + exchange.Name,
                                "list.entries.sync",
                                "list/" + exchange.ListName,
                                JsonSerializer.Serialize(new SyncDetails(exchange.Name, exchange.Kind, result.Added, result.Removed) { FullFetchSweep = true }, DocumentJson.Options),
                                null),
                            ct)
                        .ConfigureAwait(false);
                    if (swept.Removed > 0)
                    {
                        await _lists.CatchUpAsync(ct).ConfigureAwait(false);
                        await _store.Jobs.EnqueueAsync(JobKinds.RescoreOpenReports, Guid.Empty, ct).ConfigureAwait(false);
                        notice = $"{notice}; the full re-fetch removed {swept.Removed} entries the provider no longer has".TrimStart(';', ' ');
                    }

                    break;
                }

                if (string.Equals(page.Checkpoint, checkpoint, StringComparison.Ordinal))
                {
                    throw new ExchangeFetchException("The provider gave the same position twice while saying it has more: stopped rather than loop.");
                }

                checkpoint = page.Checkpoint;
            }
        }
        catch (ExchangeLostException)
        {
            return false;
        }
        catch (ExchangeFetchException e)
        {
            error = Redact(e.Message, credentials);
        }
        catch (KeyNotFoundException e)
        {
            error = Redact(e.Message, credentials);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or HttpRequestException)
        {
            // A corrupt checkpoint or an answer no client anticipated: an error in the status, not a stuck job.
            error = Redact($"The fetch failed: {e.Message}", credentials);
        }

        return await _store.Exchanges.FinishAsync(exchange.Id, token, _time.GetUtcNow(), error, notice, CancellationToken.None).ConfigureAwait(false);
    }

    private static ExchangeClient Create(string kind, ExchangeContext context) => kind switch
    {
        ExchangeKinds.Needle => new NeedleExchangeClient(context),
        ExchangeKinds.StopNcii => new StopNciiExchangeClient(context),
        ExchangeKinds.Ncmec => new NcmecExchangeClient(context),
        ExchangeKinds.ThreatExchange => new ThreatExchangeClient(context),
        _ => throw new ExchangeFetchException($"Unknown exchange kind '{kind}'."),
    };

    /// <summary>A message with every credential value blanked: a provider that echoes a key back never gets it into the status.</summary>
    internal static string Redact(string message, IReadOnlyDictionary<string, string> credentials)
    {
        foreach (var value in credentials.Values)
        {
            if (value.Length >= 4)
            {
                message = message.Replace(value, "***", StringComparison.Ordinal);
            }
        }

        return message;
    }

    private sealed record SyncDetails(string Exchange, string Kind, int Added, int Removed)
    {
        // Set on the sweep that ends a full re-fetch (absent otherwise).
        [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingDefault)]
        public bool FullFetchSweep { get; init; }
    }
}
