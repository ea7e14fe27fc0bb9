using Needle.Core.Jobs;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;

namespace Needle.Core.Storage;

/// <summary>
/// The durable job queue. A job is leased for a while; a worker that dies loses its lease and the job is leased again.
/// Completion is conditional on still holding the lease and writes the job's results in the same transaction, so a
/// job that runs twice has the effect of one.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711", Justification = "It is a queue: jobs wait in it in order and are leased from it.")]
public interface IJobQueue
{
    /// <summary>
    /// Leases the due job (pending, or leased with its lease run out) of the highest <see cref="JobPriority"/>, the oldest
    /// first among equals; null when there is none.
    /// </summary>
    Task<LeasedJob?> TryLeaseAsync(string workerId, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="TryLeaseAsync(string, TimeSpan, CancellationToken)"/>, from one <see cref="JobLane"/> only: the
    /// workers of a lane never take another lane's jobs, so long video jobs cannot hold every worker.
    /// </summary>
    Task<LeasedJob?> TryLeaseAsync(string workerId, TimeSpan leaseDuration, int lane, CancellationToken cancellationToken);

    /// <summary>Extends a lease still held; false if it was lost.</summary>
    Task<bool> RenewAsync(LeasedJob job, TimeSpan leaseDuration, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes the file results of a report-processing job, marks the report processed and the job done, and enqueues
    /// the report's <see cref="JobKinds.TriageReport"/> job, in one transaction, only if the lease is still held (false
    /// otherwise, and nothing is written). Files stored with a PDQ take the next media sequence
    /// (<see cref="ITriageStore.ReadMediaHashesAsync"/>).
    /// </summary>
    Task<bool> CompleteReportAsync(LeasedJob job, IReadOnlyList<FileResult> results, CancellationToken cancellationToken = default) =>
        CompleteReportAsync(job, results, null, cancellationToken);

    /// <summary>
    /// As <see cref="CompleteReportAsync(LeasedJob, IReadOnlyList{FileResult}, CancellationToken)"/>, also storing the
    /// report's <paramref name="jurisdiction"/> (decision and evidence; its queue and country are queryable).
    /// </summary>
    Task<bool> CompleteReportAsync(LeasedJob job, IReadOnlyList<FileResult> results, ReportJurisdiction? jurisdiction, CancellationToken cancellationToken);

    /// <summary>Gives a job back after a failure; it runs again after <paramref name="retryAfter"/>. After too many attempts it is parked as failed with <paramref name="reason"/>.</summary>
    Task ReleaseAsync(LeasedJob job, string reason, TimeSpan retryAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives a job back after a failure that was not the job's (the database was full): it runs again after
    /// <paramref name="retryAfter"/> and this attempt is not counted, so an outage however long never parks it as failed.
    /// </summary>
    Task ReleaseUncountedAsync(LeasedJob job, string reason, TimeSpan retryAfter, CancellationToken cancellationToken = default);

    /// <summary>
    /// Enqueues a job unless one of the same kind and subject is already pending (not yet leased); true when enqueued.
    /// For jobs that are not part of another write (a list change asking for open reports to be rescored).
    /// </summary>
    Task<bool> EnqueueAsync(string kind, Guid subjectId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks a job done that writes nothing of its own (a rescore-open-reports job, once it has enqueued its score
    /// jobs), only if its lease is still held; false otherwise.
    /// </summary>
    Task<bool> CompleteAsync(LeasedJob job, CancellationToken cancellationToken = default);

    /// <summary>Jobs not yet done (pending, leased or waiting to retry).</summary>
    Task<int> CountOpenAsync(CancellationToken cancellationToken = default);

    /// <summary>The open jobs by lane and priority, with the age of the oldest waiting one (the queue's metrics).</summary>
    Task<IReadOnlyList<QueueDepth>> GetDepthAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives back at once the jobs leased by workers that <paramref name="isAbandoned"/> (called with each holder's
    /// worker id) knows to be dead, instead of leaving them until their lease runs out: a server restarted after a crash
    /// calls it before its workers start. The attempt stays counted, so a job that kills its worker is still parked
    /// after the allowed attempts. Returns how many jobs were given back.
    /// </summary>
    Task<int> ReleaseAbandonedAsync(Func<string, bool> isAbandoned, string reason, CancellationToken cancellationToken = default);
}
