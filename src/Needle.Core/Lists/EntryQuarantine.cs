namespace Needle.Core.Lists;

/// <summary>A list entry quarantined by the flood guard: it stays in its list, disabled, until an admin releases it.</summary>
/// <param name="ListName">The entry's list.</param>
/// <param name="EntryId">The entry's id in its list.</param>
/// <param name="Matches">Files it matched in <paramref name="Window"/> when it was quarantined (its rate).</param>
/// <param name="Baseline">Files per window its history had (or the rate it was last released at, if higher).</param>
/// <param name="Window">The window <paramref name="Matches"/> were counted over.</param>
/// <param name="QuarantinedAt">When it was quarantined.</param>
public sealed record EntryQuarantine(string ListName, int EntryId, long Matches, double Baseline, TimeSpan Window, DateTimeOffset QuarantinedAt);
