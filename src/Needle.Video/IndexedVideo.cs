namespace Needle.Video;

/// <summary>What <see cref="VideoIndex"/> keeps of a known video besides its frames' columns.</summary>
/// <param name="Name">The known video's name.</param>
/// <param name="Md5">Its MD5, if known (matched exactly).</param>
/// <param name="Label">Its label, if any.</param>
/// <param name="FrameCount">The frames its hash holds (all of them, whatever their quality).</param>
public sealed record IndexedVideo(string Name, string? Md5, string? Label, int FrameCount);
