namespace Needle.Matching.Lists;

/// <summary>
/// Where a list snapshot stands, written into its file and checked by whoever loads it: the list's generation (its
/// creation time, so a list deleted and made again under the same name is another list), the change-log sequence the
/// snapshot covers, and an anchor describing the change at that sequence (so a snapshot taken on another database, whose
/// log differs there, is recognised). The meaning of the values is the host's; the file only keeps them.
/// </summary>
/// <param name="Generation">The list's generation (for example its creation time in Unix milliseconds).</param>
/// <param name="Sequence">The change-log sequence the snapshot covers: every change up to it is in the snapshot.</param>
/// <param name="Anchor">What the log holds at <paramref name="Sequence"/>, as text; empty when nothing.</param>
public sealed record HashListSnapshotInfo(long Generation, long Sequence, string Anchor);
