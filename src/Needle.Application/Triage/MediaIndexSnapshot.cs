namespace Needle.Application.Triage;

/// <summary>The near-duplicate media index's columns as one snapshot holds them (see <see cref="MediaIndexSnapshotFile"/>).</summary>
/// <param name="HashWords">The held files' PDQ hashes, 4 words each, in entry order.</param>
/// <param name="Sequences">The held files' media sequences, in entry order.</param>
/// <param name="HighestSequence">The highest media sequence read (held or not): catch-up goes on after it.</param>
/// <param name="Anchor">The id of the file stored at <paramref name="HighestSequence"/>, to recognise the same database.</param>
/// <param name="MinimumQuality">The minimum PDQ quality the index was built with.</param>
/// <param name="MaxIdentical">The files indexed per identical PDQ the index was built with.</param>
internal sealed record MediaIndexSnapshot(ulong[] HashWords, long[] Sequences, long HighestSequence, Guid Anchor, int MinimumQuality, int MaxIdentical);
