using Needle.Core.Clues;

namespace Needle.Core.Reports;

/// <summary>What processing computed for one file.</summary>
public sealed record FileResult
{
    /// <summary>The file the result is for.</summary>
    public required Guid FileId { get; init; }

    /// <summary><see cref="FileState.Hashed"/>, <see cref="FileState.Unreadable"/> or <see cref="FileState.HashesOnly"/>.</summary>
    public required FileState State { get; init; }

    /// <summary>Why the media could not be decoded (or the video read); null otherwise.</summary>
    public string? Error { get; init; }

    /// <summary>MD5 of the media bytes, lowercase hex; null for hashes-only files.</summary>
    public string? Md5 { get; init; }

    /// <summary>SHA-1 of the media bytes, lowercase hex; null for hashes-only files.</summary>
    public string? Sha1 { get; init; }

    /// <summary>SHA-256 of the media bytes, lowercase hex; null for hashes-only files.</summary>
    public string? Sha256 { get; init; }

    /// <summary>PDQ of the image as stored, 64 lowercase hex digits; null for videos and unreadable or hashes-only files.</summary>
    public string? Pdq { get; init; }

    /// <summary>PDQ quality 0-100 of <see cref="Pdq"/>; under 50 Meta advises not to match. Null with <see cref="Pdq"/>.</summary>
    public int? PdqQuality { get; init; }

    /// <summary>Width of the image or video as stored, in pixels; null when it was not decoded.</summary>
    public int? Width { get; init; }

    /// <summary>Height of the image or video as stored, in pixels; null when it was not decoded.</summary>
    public int? Height { get; init; }

    /// <summary>The decoded format in lower case (<c>jpeg</c>, <c>png</c>, ...) or <c>video</c>; null for hashes-only and unreadable images.</summary>
    public string? Format { get; init; }

    /// <summary>The list entries matched: known-list matches, or the allow-list entries that overrode them (<see cref="StoredMatch.AllowList"/>).</summary>
    public IReadOnlyList<StoredMatch> Matches { get; init; } = [];

    /// <summary>The metadata clues of the media; null for hashes-only files.</summary>
    public FileClues? Clues { get; init; }

    /// <summary>For a video: duration, size and vPDQ hash; null for other files.</summary>
    public VideoSummary? Video { get; init; }
}
