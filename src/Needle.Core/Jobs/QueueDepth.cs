namespace Needle.Core.Jobs;

/// <summary>The open jobs of one lane and priority, for the queue's metrics.</summary>
/// <param name="Lane">The <see cref="JobLane"/>.</param>
/// <param name="Priority">The <see cref="JobPriority"/>.</param>
/// <param name="Pending">Jobs waiting (or waiting to retry).</param>
/// <param name="Leased">Jobs a worker holds.</param>
/// <param name="OldestPendingSince">When the oldest waiting job was queued; null when none waits.</param>
public sealed record QueueDepth(int Lane, int Priority, int Pending, int Leased, DateTimeOffset? OldestPendingSince);
