using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>
/// An item the source says is gone (StopNCII <c>Withdrawn</c>/<c>Deleted</c>, NCMEC <c>deletedImage</c>/<c>deletedVideo</c>):
/// a list kept in step with the source removes what this names. Either <see cref="SignalType"/> and <see cref="Value"/>
/// (a hash) or <see cref="Label"/> (every hash of an item) is set.
/// </summary>
/// <param name="Record">The record number in the source, as in <see cref="ImportError.Record"/>.</param>
/// <param name="SignalType">The signal type of the hash gone; null when the tombstone names an item by label.</param>
/// <param name="Value">The normalized hash gone; null when the tombstone names an item by label.</param>
/// <param name="Label">The item gone (for NCMEC <c>member-id</c>), whatever its hashes; null when it names one hash.</param>
public sealed record ImportTombstone(int Record, SignalType? SignalType, string? Value, string? Label);
