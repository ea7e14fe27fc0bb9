using Needle.Core.Clues;

namespace Needle.Core.Reports;

/// <summary>A stored file: what was received, what Needle computed, what it matched.</summary>
public sealed record StoredFile
{
    /// <summary>The file's id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The report it belongs to.</summary>
    public required Guid ReportId { get; init; }

    /// <summary>Position in the submission (0-based).</summary>
    public required int Ordinal { get; init; }

    /// <summary>The file name the reporter gave, else the media part's file name or part name.</summary>
    public string? OriginalName { get; init; }

    /// <summary>The media part's content type as sent; null for hashes only.</summary>
    public string? ContentType { get; init; }

    /// <summary>Bytes of media received (0 when hashes only).</summary>
    public long Size { get; init; }

    /// <summary>Whether media was received (and stored encrypted); false for hashes only.</summary>
    public bool HasMedia { get; init; }

    /// <summary>Pending until processed; then hashed, unreadable or hashes-only.</summary>
    public required FileState State { get; init; }

    /// <summary>Why the media could not be decoded.</summary>
    public string? Error { get; init; }

    /// <summary>The hashes the reporter computed, normalised (lowercase hex, PhotoDNA base64); null when none were given.</summary>
    public ReporterHashes? ReporterHashes { get; init; }

    /// <summary>MD5 of the media bytes, lowercase hex; null for hashes only and before processing.</summary>
    public string? Md5 { get; init; }

    /// <summary>SHA-1 of the media bytes, lowercase hex; null for hashes only and before processing.</summary>
    public string? Sha1 { get; init; }

    /// <summary>SHA-256 of the media bytes, lowercase hex; null for hashes only and before processing.</summary>
    public string? Sha256 { get; init; }

    /// <summary>PDQ of the image as stored, 64 lowercase hex digits; null for videos, unreadable and hashes-only files, and before processing.</summary>
    public string? Pdq { get; init; }

    /// <summary>PDQ quality 0-100 of <see cref="Pdq"/>; under 50 Meta advises not to match. Null with <see cref="Pdq"/>.</summary>
    public int? PdqQuality { get; init; }

    /// <summary>Width of the image or video as stored, in pixels; null when not decoded.</summary>
    public int? Width { get; init; }

    /// <summary>Height of the image or video as stored, in pixels; null when not decoded.</summary>
    public int? Height { get; init; }

    /// <summary>The decoded format in lower case (<c>jpeg</c>, <c>png</c>, ...) or <c>video</c>; null for hashes-only files and unreadable images, and before processing.</summary>
    public string? Format { get; init; }

    /// <summary>The list entries matched: known-list matches, or the allow-list entries that overrode them (<see cref="StoredMatch.AllowList"/>).</summary>
    public IReadOnlyList<StoredMatch> Matches { get; init; } = [];

    /// <summary>What the media's metadata tells (GPS, capture time, camera...); null for hashes-only files and before processing.</summary>
    public FileClues? Clues { get; init; }

    /// <summary>For a video: its duration, size and vPDQ hash; null for other files.</summary>
    public VideoSummary? Video { get; init; }
}
