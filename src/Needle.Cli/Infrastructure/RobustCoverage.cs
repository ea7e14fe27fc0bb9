using Needle.Matching.Lists;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// Whether the robust tier covers every listed picture: every enabled PDQ entry of every list has an enabled robust entry
/// of the same picture (same label, same list), as lists made by <c>needle list build</c> have. The robust tier finds
/// most turned copies itself (its keypoints do not care about the angle), so against such lists the rotation sweep after
/// it runs on a smaller copy (<see cref="SecondLook.CoveredSweepSize"/>), unless the tier turns out not to hold every
/// robust entry (another model's, or unreadable ones).
/// </summary>
internal static class RobustCoverage
{
    /// <summary>True when <paramref name="lists"/> is not empty and each covers its PDQ pictures with robust entries.</summary>
    public static bool CoversEveryPicture(IReadOnlyList<HashList> lists, out int robustEntries)
    {
        robustEntries = 0;
        if (lists.Count == 0)
        {
            return false;
        }

        foreach (var list in lists)
        {
            var labels = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in list.EntriesOf(SignalTypes.Robust))
            {
                if (entry.Enabled)
                {
                    robustEntries++;
                    if (entry.Label is { } label)
                    {
                        labels.Add(label);
                    }
                }
            }

            foreach (var entry in list.EntriesOf(SignalTypes.Pdq))
            {
                // A picture without a label cannot be paired with its robust entry: its list keeps the sweep.
                if (entry.Enabled && (entry.Label is not { } label || !labels.Contains(label)))
                {
                    return false;
                }
            }
        }

        return true;
    }
}
