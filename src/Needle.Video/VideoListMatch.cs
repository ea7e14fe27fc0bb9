using Needle.Matching.Lists;

namespace Needle.Video;

/// <summary>A vPDQ entry of a hash list that matched a video.</summary>
/// <param name="ListName">The list holding the entry.</param>
/// <param name="ListKind">Known or allow list.</param>
/// <param name="Entry">The entry as it was when added.</param>
/// <param name="Match">Shares of frames, rule, transform and corresponding time ranges.</param>
public sealed record VideoListMatch(string ListName, HashListKind ListKind, HashListEntry Entry, VideoMatch Match);
