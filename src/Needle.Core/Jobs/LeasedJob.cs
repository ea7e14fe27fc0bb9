namespace Needle.Core.Jobs;

/// <summary>A processing job held by one worker until <see cref="LeasedUntil"/>.</summary>
/// <param name="Id">The job's id in the queue.</param>
/// <param name="Kind">One of <see cref="JobKinds"/>.</param>
/// <param name="SubjectId">What the job is about: a report id, or <see cref="Guid.Empty"/> for queue-wide jobs.</param>
/// <param name="LeaseToken">Proof of this lease: renewing, completing or releasing the job needs it, so a worker whose lease expired cannot.</param>
/// <param name="Attempt">How many times the job has been leased, this lease included (1 the first time).</param>
/// <param name="LeasedUntil">When the lease runs out and another worker may take the job.</param>
public sealed record LeasedJob(long Id, string Kind, Guid SubjectId, Guid LeaseToken, int Attempt, DateTimeOffset LeasedUntil);
