using System.Diagnostics;
using System.Diagnostics.Metrics;
using Needle.Core.Jobs;

namespace Needle.Application.Telemetry;

/// <summary>
/// Needle's own metrics (the meter <see cref="MeterName"/>) and traces (the activity source <see cref="SourceName"/>),
/// the .NET way: the host exports them (OpenTelemetry: OTLP, a Prometheus scrape endpoint) or nothing listens and they
/// cost almost nothing. Every tag has few values (a lane, a priority, a format, a failure reason, a list name, a route
/// class), never a report, file or key id. One per node; thread-safe.
/// </summary>
public sealed class NeedleMetrics : IDisposable
{
    /// <summary>The name of the meter.</summary>
    public const string MeterName = "Needle";

    /// <summary>The name of the activity source.</summary>
    public const string SourceName = "Needle";

    private readonly Meter _meter;
    private readonly Counter<long> _reportsReceived;
    private readonly Counter<long> _filesReceived;
    private readonly Counter<long> _reportsProcessed;
    private readonly Counter<long> _filesProcessed;
    private readonly Counter<long> _decodeFailures;
    private readonly Counter<long> _matches;
    private readonly Counter<long> _jobs;
    private readonly Counter<long> _leasesLost;
    private readonly Counter<long> _rateLimitRefusals;
    private readonly TimeProvider _time;
    private readonly string _node;
    private volatile QueueSnapshot _queue = new([], DateTimeOffset.MinValue);
    private long _listSequence = -1;
    private long _listCaughtUpTicks;

    /// <summary>The instruments, on <paramref name="time"/>, tagged with this <paramref name="node"/> where a value is the node's own.</summary>
    public NeedleMetrics(TimeProvider time, string node)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        _time = time;
        _node = node;
        _meter = new Meter(MeterName);
        Source = new ActivitySource(SourceName);
        _reportsReceived = _meter.CreateCounter<long>("needle.reports.received", "{report}", "Reports accepted (202), by escalation.");
        _filesReceived = _meter.CreateCounter<long>("needle.files.received", "{file}", "Files of the reports accepted.");
        _reportsProcessed = _meter.CreateCounter<long>("needle.reports.processed", "{report}", "Reports whose files were hashed and matched, by job lane.");
        _filesProcessed = _meter.CreateCounter<long>("needle.files.processed", "{file}", "Files processed, by state (hashed, unreadable, hashes-only).");
        _decodeFailures = _meter.CreateCounter<long>("needle.decode.failures", "{file}", "Files that could not be decoded, by format and reason.");
        _matches = _meter.CreateCounter<long>("needle.matches", "{match}", "List matches found while processing, by list.");
        _jobs = _meter.CreateCounter<long>("needle.jobs.completed", "{job}", "Jobs run, by kind and outcome.");
        _leasesLost = _meter.CreateCounter<long>("needle.jobs.lease_expiries", "{job}", "Jobs whose lease ran out before their worker finished (another worker takes them), by kind.");
        _rateLimitRefusals = _meter.CreateCounter<long>("needle.ratelimit.refusals", "{request}", "Requests refused with 429, by route class.");
        _meter.CreateObservableGauge("needle.queue.depth", ObserveDepth, "{job}", "Open jobs by lane, priority and state (pending, leased), sampled.");
        _meter.CreateObservableGauge("needle.queue.oldest_age", ObserveAge, "s", "Age of the oldest waiting job by lane and priority (0: none waits), sampled.");
        _meter.CreateObservableGauge("needle.lists.sequence", ObserveListSequence, "{change}", "The last list change this node applied, by node (lag: the highest node's minus this).");
        _meter.CreateObservableGauge("needle.lists.staleness", ObserveListStaleness, "s", "Seconds since this node last read the list change log, by node.");
    }

    /// <summary>The activity source of Needle's own spans (intake, jobs).</summary>
    public ActivitySource Source { get; }

    /// <summary>A report was accepted.</summary>
    public void ReportReceived(bool escalated, int files)
    {
        _reportsReceived.Add(1, new KeyValuePair<string, object?>("escalated", escalated));
        _filesReceived.Add(files);
    }

    /// <summary>A report's processing completed.</summary>
    public void ReportProcessed(int lane) => _reportsProcessed.Add(1, new KeyValuePair<string, object?>("lane", JobLane.Name(lane)));

    /// <summary>A file was processed; <paramref name="state"/> is its state's name.</summary>
    public void FileProcessed(string state) => _filesProcessed.Add(1, new KeyValuePair<string, object?>("state", state));

    /// <summary>A file did not decode: its format (as far as recognised) and the reason's name.</summary>
    public void DecodeFailed(string format, string reason) =>
        _decodeFailures.Add(1, new KeyValuePair<string, object?>("format", format), new KeyValuePair<string, object?>("reason", reason));

    /// <summary>A match against a list (list names are few, chosen by admins).</summary>
    public void Matched(string list, bool allowList) =>
        _matches.Add(1, new KeyValuePair<string, object?>("list", list), new KeyValuePair<string, object?>("allow_list", allowList));

    /// <summary>A job ran; <paramref name="outcome"/> is how it ended.</summary>
    public void JobCompleted(string kind, string outcome) =>
        _jobs.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A worker found its job's lease had run out.</summary>
    public void LeaseExpired(string kind) => _leasesLost.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary>A request was refused by a rate limit.</summary>
    public void RateLimited(string routeClass) => _rateLimitRefusals.Add(1, new KeyValuePair<string, object?>("route_class", routeClass));

    /// <summary>The queue as last sampled (the gauges report it).</summary>
    public void QueueSampled(IReadOnlyList<QueueDepth> depth)
    {
        ArgumentNullException.ThrowIfNull(depth);
        _queue = new QueueSnapshot(depth, _time.GetUtcNow());
    }

    /// <summary>This node read the list change log up to <paramref name="sequence"/>.</summary>
    public void ListsCaughtUp(long sequence)
    {
        Interlocked.Exchange(ref _listSequence, sequence);
        Interlocked.Exchange(ref _listCaughtUpTicks, _time.GetUtcNow().UtcTicks);
    }

    /// <summary>Ends the meter and the activity source.</summary>
    public void Dispose()
    {
        _meter.Dispose();
        Source.Dispose();
    }

    // Every lane and priority is reported, 0 when empty, so a query over them never meets a missing series.
    private static readonly (int Lane, int Priority)[] KnownQueues =
        [(JobLane.General, JobPriority.Normal), (JobLane.General, JobPriority.Escalated), (JobLane.Video, JobPriority.Normal), (JobLane.Video, JobPriority.Escalated)];

    private static IEnumerable<QueueDepth> WithEmptyQueues(IReadOnlyList<QueueDepth> depth)
    {
        foreach (var (lane, priority) in KnownQueues)
        {
            var found = false;
            foreach (var row in depth)
            {
                found |= row.Lane == lane && row.Priority == priority;
            }

            if (!found)
            {
                yield return new QueueDepth(lane, priority, 0, 0, null);
            }
        }

        foreach (var row in depth)
        {
            yield return row;
        }
    }

    private IEnumerable<Measurement<long>> ObserveDepth()
    {
        foreach (var row in WithEmptyQueues(_queue.Depth))
        {
            var lane = new KeyValuePair<string, object?>("lane", JobLane.Name(row.Lane));
            var priority = new KeyValuePair<string, object?>("priority", PriorityName(row.Priority));
            yield return new Measurement<long>(row.Pending, lane, priority, new KeyValuePair<string, object?>("state", "pending"));
            yield return new Measurement<long>(row.Leased, lane, priority, new KeyValuePair<string, object?>("state", "leased"));
        }
    }

    private IEnumerable<Measurement<double>> ObserveAge()
    {
        var snapshot = _queue;
        foreach (var row in WithEmptyQueues(snapshot.Depth))
        {
            yield return new Measurement<double>(
                row.OldestPendingSince is { } since ? Math.Max(0, (snapshot.At - since).TotalSeconds) : 0,
                new KeyValuePair<string, object?>("lane", JobLane.Name(row.Lane)),
                new KeyValuePair<string, object?>("priority", PriorityName(row.Priority)));
        }
    }

    private IEnumerable<Measurement<long>> ObserveListSequence()
    {
        var sequence = Interlocked.Read(ref _listSequence);
        if (sequence >= 0)
        {
            yield return new Measurement<long>(sequence, new KeyValuePair<string, object?>("node", _node));
        }
    }

    private IEnumerable<Measurement<double>> ObserveListStaleness()
    {
        var ticks = Interlocked.Read(ref _listCaughtUpTicks);
        if (ticks > 0)
        {
            yield return new Measurement<double>((_time.GetUtcNow().UtcTicks - ticks) / (double)TimeSpan.TicksPerSecond, new KeyValuePair<string, object?>("node", _node));
        }
    }

    private static string PriorityName(int priority) => priority switch
    {
        JobPriority.Escalated => "escalated",
        JobPriority.Normal => "normal",
        _ => priority.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed record QueueSnapshot(IReadOnlyList<QueueDepth> Depth, DateTimeOffset At);
}
