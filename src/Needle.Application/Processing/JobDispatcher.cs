using Needle.Application.Exchanges;
using Needle.Application.Triage;
using Needle.Core.Jobs;
using Needle.Core.Storage;

namespace Needle.Application.Processing;

/// <summary>
/// Leases the next job of any kind and hands it to the processor for that kind: report processing to
/// <see cref="ReportProcessor"/>, triage jobs to <see cref="TriageProcessor"/>. A job of a kind nobody runs is given
/// back with an error (and parked after the allowed attempts), never completed. Thread-safe.
/// </summary>
public sealed class JobDispatcher
{
    private readonly IJobQueue _jobs;
    private readonly ReportProcessor _reports;
    private readonly TriageProcessor _triage;
    private readonly ProcessorOptions _options;
    private readonly ExchangeFetcher? _exchanges;
    private readonly ExchangeFeedbackSender? _feedback;

    /// <summary>A dispatcher leasing from <paramref name="jobs"/>.</summary>
    /// <param name="jobs">The job queue.</param>
    /// <param name="reports">Runs <see cref="Needle.Core.Jobs.JobKinds.ProcessReport"/> jobs.</param>
    /// <param name="triage">Runs the triage and scoring jobs.</param>
    /// <param name="options">The lease duration and the delay before a job of an unknown kind is retried.</param>
    /// <param name="exchanges">Runs the exchange fetch jobs (null: none are run here).</param>
    /// <param name="feedback">Runs the exchange feedback send jobs (null: none are run here).</param>
    public JobDispatcher(IJobQueue jobs, ReportProcessor reports, TriageProcessor triage, ProcessorOptions options, ExchangeFetcher? exchanges = null, ExchangeFeedbackSender? feedback = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(triage);
        ArgumentNullException.ThrowIfNull(options);
        _jobs = jobs;
        _reports = reports;
        _triage = triage;
        _options = options;
        _exchanges = exchanges;
        _feedback = feedback;
    }

    /// <summary>Leases one job and runs it. True when a job was leased (whatever its outcome), false when the queue had none.</summary>
    public async Task<bool> ProcessNextAsync(string workerId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        var job = await _jobs.TryLeaseAsync(workerId, _options.Lease, ct).ConfigureAwait(false);
        if (job is null)
        {
            return false;
        }

        await ProcessAsync(job, ct).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Leases one job from the first of <paramref name="lanes"/> (see <see cref="JobLane"/>) that has one due, and runs
    /// it. True when a job was leased, false when none of the lanes had one.
    /// </summary>
    public async Task<bool> ProcessNextAsync(string workerId, IReadOnlyList<int> lanes, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workerId);
        ArgumentNullException.ThrowIfNull(lanes);
        for (var i = 0; i < lanes.Count; i++)
        {
            var job = await _jobs.TryLeaseAsync(workerId, _options.Lease, lanes[i], ct).ConfigureAwait(false);
            if (job is not null)
            {
                await ProcessAsync(job, ct).ConfigureAwait(false);
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs a leased job with the processor for its kind.</summary>
    public async Task<ProcessOutcome> ProcessAsync(LeasedJob job, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        using var activity = _options.Metrics?.Source.StartActivity("needle.job");
        activity?.SetTag("needle.job.kind", job.Kind);
        activity?.SetTag("needle.job.attempt", job.Attempt);
        var outcome = await RunAsync(job, ct).ConfigureAwait(false);
        activity?.SetTag("needle.job.outcome", outcome.ToString());
        if (_options.Metrics is { } metrics)
        {
            metrics.JobCompleted(job.Kind, outcome.ToString().ToLowerInvariant());
            if (outcome == ProcessOutcome.LeaseLost)
            {
                metrics.LeaseExpired(job.Kind);
            }
        }

        return outcome;
    }

    private async Task<ProcessOutcome> RunAsync(LeasedJob job, CancellationToken ct)
    {
        if (string.Equals(job.Kind, JobKinds.ProcessReport, StringComparison.Ordinal))
        {
            return await _reports.ProcessAsync(job, ct).ConfigureAwait(false);
        }

        if (TriageProcessor.Runs(job.Kind))
        {
            return await _triage.ProcessAsync(job, ct).ConfigureAwait(false);
        }

        if (_exchanges is not null && ExchangeFetcher.Runs(job.Kind))
        {
            return await _exchanges.ProcessAsync(job, ct).ConfigureAwait(false);
        }

        if (_feedback is not null && ExchangeFeedbackSender.Runs(job.Kind))
        {
            return await _feedback.ProcessAsync(job, ct).ConfigureAwait(false);
        }

        await _jobs.ReleaseAsync(job, $"no processor runs jobs of kind '{job.Kind}'", _options.RetryAfter, ct).ConfigureAwait(false);
        return ProcessOutcome.Failed;
    }

    /// <summary>Runs every job until the queue is empty (tests, the CLI's one-shot processing). Returns how many ran.</summary>
    public async Task<int> DrainAsync(string workerId, CancellationToken ct = default)
    {
        var count = 0;
        while (await ProcessNextAsync(workerId, ct).ConfigureAwait(false))
        {
            count++;
        }

        return count;
    }
}
