using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

/// <summary>
/// Test-only reference index: a plain loop over every entry. Stands in for the real index while that is written in
/// parallel; the lead switches the tests to the real one at merge.
/// </summary>
internal sealed class LinearScanPdqIndex : IPdqIndex
{
    private readonly Lock _sync = new();
    private readonly Dictionary<int, (PdqHash Hash, bool Enabled)> _entries = [];

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _entries.Count;
            }
        }
    }

    public void Add(int entryId, PdqHash hash)
    {
        lock (_sync)
        {
            if (!_entries.TryAdd(entryId, (hash, true)))
            {
                throw new ArgumentException($"Entry {entryId} already present.", nameof(entryId));
            }
        }
    }

    public bool Remove(int entryId)
    {
        lock (_sync)
        {
            return _entries.Remove(entryId);
        }
    }

    public bool SetEnabled(int entryId, bool enabled)
    {
        lock (_sync)
        {
            if (!_entries.TryGetValue(entryId, out var entry))
            {
                return false;
            }

            _entries[entryId] = (entry.Hash, enabled);
            return true;
        }
    }

    public void RangeSearch(PdqHash query, int radius, List<HammingHit> results)
    {
        lock (_sync)
        {
            foreach (var (id, entry) in _entries)
            {
                var distance = query.HammingDistance(entry.Hash);
                if (entry.Enabled && distance <= radius)
                {
                    results.Add(new HammingHit(id, distance));
                }
            }
        }
    }

    public void TopK(PdqHash query, int k, List<HammingHit> results)
    {
        var all = new List<HammingHit>();
        RangeSearch(query, PdqHash.Bits, all);
        all.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.EntryId.CompareTo(b.EntryId));
        results.AddRange(all.Take(k));
    }
}
