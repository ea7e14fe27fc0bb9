using Needle.Core.Clues;

namespace Needle.Core.Reports;

/// <summary>A stored file: what was received, what Needle computed, what it matched.</summary>
public sealed record StoredFile
{
    public required Guid Id { get; init; }

    public required Guid ReportId { get; init; }

    /// <summary>Position in the submission (0-based).</summary>
    public required int Ordinal { get; init; }

    public string? OriginalName { get; init; }

    public string? ContentType { get; init; }

    /// <summary>Bytes of media received (0 when hashes only).</summary>
    public long Size { get; init; }

    public bool HasMedia { get; init; }

    public required FileState State { get; init; }

    /// <summary>Why the media could not be decoded.</summary>
    public string? Error { get; init; }

    public ReporterHashes? ReporterHashes { get; init; }

    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }

    public int? PdqQuality { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public string? Format { get; init; }

    public IReadOnlyList<StoredMatch> Matches { get; init; } = [];

    /// <summary>What the media's metadata tells (GPS, capture time, camera...); null for hashes-only files and before processing.</summary>
    public FileClues? Clues { get; init; }

    /// <summary>For a video: its duration, size and vPDQ hash; null for other files.</summary>
    public VideoSummary? Video { get; init; }
}
