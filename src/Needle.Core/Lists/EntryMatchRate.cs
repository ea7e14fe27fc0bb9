namespace Needle.Core.Lists;

/// <summary>How many files a list entry matched recently and before, as the store counted them (hourly buckets).</summary>
/// <param name="ListName">The entry's list.</param>
/// <param name="EntryId">The entry's id in its list.</param>
/// <param name="InWindow">Files matched in the buckets from the window's start on.</param>
/// <param name="InHistory">Files matched in the buckets from the history's start up to the window's.</param>
/// <param name="ReleasedRate">The rate (files per window) at which an admin last released it from quarantine; null if never.</param>
/// <param name="Quarantined">Whether it is quarantined now.</param>
public sealed record EntryMatchRate(string ListName, int EntryId, long InWindow, long InHistory, long? ReleasedRate, bool Quarantined)
{
    /// <summary>The length of the store's count buckets: windows and histories are counted in whole buckets.</summary>
    public static readonly TimeSpan BucketLength = TimeSpan.FromHours(1);

    /// <summary>The start of the bucket <paramref name="instant"/> falls in.</summary>
    public static DateTimeOffset BucketOf(DateTimeOffset instant) =>
        new(instant.UtcTicks - (instant.UtcTicks % BucketLength.Ticks), TimeSpan.Zero);
}
