namespace Needle.Core.Jobs;

/// <summary>A processing job held by one worker until <see cref="LeasedUntil"/>.</summary>
public sealed record LeasedJob(long Id, string Kind, Guid SubjectId, Guid LeaseToken, int Attempt, DateTimeOffset LeasedUntil);
