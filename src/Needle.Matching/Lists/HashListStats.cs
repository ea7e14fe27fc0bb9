namespace Needle.Matching.Lists;

/// <summary>Counts for <c>needle list stats</c>.</summary>
public sealed class HashListStats
{
    private HashListStats()
    {
    }

    /// <summary>The list's name.</summary>
    public string ListName { get; private init; } = string.Empty;

    /// <summary>Number of entries, enabled or not.</summary>
    public int Total { get; private init; }

    /// <summary>Number of enabled entries.</summary>
    public int Enabled { get; private init; }

    /// <summary>Number of disabled entries.</summary>
    public int Disabled => Total - Enabled;

    /// <summary>Entries per signal type name.</summary>
    public IReadOnlyDictionary<string, int> BySignalType { get; private init; } = new Dictionary<string, int>();

    /// <summary>Entries per category ("(none)" for entries without one).</summary>
    public IReadOnlyDictionary<string, int> ByCategory { get; private init; } = new Dictionary<string, int>();

    /// <summary>Values held by more than one entry.</summary>
    public IReadOnlyList<DuplicateGroup> Duplicates { get; private init; } = [];

    /// <summary>Entries beyond the first of each duplicated value.</summary>
    public int DuplicateEntries { get; private init; }

    /// <summary>Counts a snapshot of <paramref name="list"/>'s entries.</summary>
    public static HashListStats Compute(HashList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        var entries = list.Entries;
        var bySignal = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var byCategory = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var enabled = 0;
        foreach (var entry in entries)
        {
            enabled += entry.Enabled ? 1 : 0;
            bySignal[entry.SignalType.Name] = bySignal.GetValueOrDefault(entry.SignalType.Name) + 1;
            var category = entry.Category ?? "(none)";
            byCategory[category] = byCategory.GetValueOrDefault(category) + 1;
        }

        var duplicates = FindDuplicates(entries);
        var extra = 0;
        foreach (var group in duplicates)
        {
            extra += group.EntryIds.Count - 1;
        }

        return new HashListStats
        {
            ListName = list.Name,
            Total = entries.Count,
            Enabled = enabled,
            BySignalType = new Dictionary<string, int>(bySignal),
            ByCategory = new Dictionary<string, int>(byCategory),
            Duplicates = duplicates,
            DuplicateEntries = extra,
        };
    }

    /// <summary>Groups of entries with the same signal type and canonical value, in first-seen order.</summary>
    public static IReadOnlyList<DuplicateGroup> FindDuplicates(IReadOnlyList<HashListEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var byValue = new Dictionary<(SignalType, string), List<int>>();
        var order = new List<(SignalType, string)>();
        foreach (var entry in entries)
        {
            var key = (entry.SignalType, entry.Value);
            if (!byValue.TryGetValue(key, out var ids))
            {
                byValue[key] = ids = [];
                order.Add(key);
            }

            ids.Add(entry.Id);
        }

        var groups = new List<DuplicateGroup>();
        foreach (var key in order)
        {
            if (byValue[key] is { Count: > 1 } ids)
            {
                groups.Add(new DuplicateGroup(key.Item1, key.Item2, ids));
            }
        }

        return groups;
    }
}
