namespace Needle.Video;

/// <summary>A known video: its vPDQ frames plus a name and optional MD5/label.</summary>
/// <param name="Name">Identifier (file name or list id).</param>
/// <param name="Frames">The vPDQ frames.</param>
/// <param name="Md5">MD5 of the video file (32 lowercase hex digits) or null.</param>
/// <param name="Label">Free text or null.</param>
public sealed record KnownVideo(string Name, IReadOnlyList<VpdqFrame> Frames, string? Md5 = null, string? Label = null);
