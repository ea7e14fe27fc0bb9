using Needle.Hashing;

namespace Needle.Matching.Index;

/// <summary>
/// The entries of an index as plain arrays: what <see cref="PdqIndexFile"/> stores and what the indexes export and are
/// built from. Entry i has id <c>Ids[i]</c>, hash words <c>HashWords[4i..4i+4)</c> and is enabled when bit i of
/// <c>EnabledBits</c> is set.
/// </summary>
public sealed class PdqIndexData
{
    /// <summary>Wraps the arrays without copying them.</summary>
    /// <param name="ids">Entry ids, one per entry.</param>
    /// <param name="hashWords">Hash words, exactly 4 per entry, word 0 first.</param>
    /// <param name="enabledBits">One bit per entry, set when enabled: <c>ceil(count / 64)</c> words.</param>
    public PdqIndexData(int[] ids, ulong[] hashWords, ulong[] enabledBits)
    {
        ArgumentNullException.ThrowIfNull(ids);
        ArgumentNullException.ThrowIfNull(hashWords);
        ArgumentNullException.ThrowIfNull(enabledBits);
        if (hashWords.LongLength != ids.LongLength * PdqHash.WordCount)
        {
            throw new ArgumentException($"Expected {ids.LongLength * PdqHash.WordCount} hash words for {ids.Length} ids, got {hashWords.Length}.", nameof(hashWords));
        }

        if (enabledBits.Length != HashSegment.BitmapLength(ids.Length))
        {
            throw new ArgumentException($"Expected {HashSegment.BitmapLength(ids.Length)} bitmap words for {ids.Length} ids, got {enabledBits.Length}.", nameof(enabledBits));
        }

        Ids = ids;
        HashWords = hashWords;
        EnabledBits = enabledBits;
    }

    /// <summary>Number of entries.</summary>
    public int Count => Ids.Length;

    /// <summary>Entry ids.</summary>
    public int[] Ids { get; }

    /// <summary>Hash words, 4 per entry, word 0 first.</summary>
    public ulong[] HashWords { get; }

    /// <summary>One bit per entry: enabled.</summary>
    public ulong[] EnabledBits { get; }

    /// <summary>Hash of entry <paramref name="index"/>.</summary>
    public PdqHash HashAt(int index) => PdqHash.FromWords(HashWords.AsSpan(index * PdqHash.WordCount, PdqHash.WordCount));

    /// <summary>Whether entry <paramref name="index"/> is enabled.</summary>
    public bool IsEnabled(int index) => (EnabledBits[index >> 6] & (1UL << index)) != 0;

    /// <summary>Builds data from hashes and ids, all enabled.</summary>
    public static PdqIndexData FromHashes(ReadOnlySpan<PdqHash> hashes, ReadOnlySpan<int> ids)
    {
        if (hashes.Length != ids.Length)
        {
            throw new ArgumentException($"Got {hashes.Length} hashes but {ids.Length} ids.", nameof(ids));
        }

        var words = LargeArrays.AllocateUninitialized<ulong>(hashes.Length * PdqHash.WordCount);
        System.Runtime.InteropServices.MemoryMarshal.Cast<PdqHash, ulong>(hashes).CopyTo(words);
        var enabled = new ulong[HashSegment.BitmapLength(ids.Length)];
        enabled.AsSpan().Fill(ulong.MaxValue);
        if ((ids.Length & 63) != 0)
        {
            enabled[^1] = (1UL << (ids.Length & 63)) - 1;
        }

        return new PdqIndexData(ids.ToArray(), words, enabled);
    }
}
