using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// An in-memory index of PDQ hashes searchable by Hamming distance. Entries are identified by an int id chosen by the
/// caller. Adding, disabling or removing an entry is visible to the next query; queries may run concurrently with each
/// other and with writers.
/// </summary>
public interface IPdqIndex
{
    /// <summary>Number of entries held (enabled or not).</summary>
    int Count { get; }

    /// <summary>Adds an entry. Throws if <paramref name="entryId"/> is already present.</summary>
    void Add(int entryId, PdqHash hash);

    /// <summary>Removes an entry; false if it was not present.</summary>
    bool Remove(int entryId);

    /// <summary>Enables or disables an entry; a disabled entry is kept but never returned. False if not present.</summary>
    bool SetEnabled(int entryId, bool enabled);

    /// <summary>Appends to <paramref name="results"/> every enabled entry within <paramref name="radius"/> (inclusive) of <paramref name="query"/>, in no particular order.</summary>
    void RangeSearch(PdqHash query, int radius, List<HammingHit> results);

    /// <summary>Appends to <paramref name="results"/> the <paramref name="k"/> nearest enabled entries, nearest first, ties by lower id.</summary>
    void TopK(PdqHash query, int k, List<HammingHit> results);
}
