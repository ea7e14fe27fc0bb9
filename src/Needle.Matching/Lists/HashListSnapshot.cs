namespace Needle.Matching.Lists;

/// <summary>A list read back from a snapshot file, with what the file says about where it stands.</summary>
/// <param name="List">The list: its entries, thresholds, and details read from the file on demand.</param>
/// <param name="Info">The generation, sequence and anchor the snapshot was written with.</param>
public sealed record HashListSnapshot(HashList List, HashListSnapshotInfo Info);
