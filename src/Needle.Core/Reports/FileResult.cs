using Needle.Core.Clues;

namespace Needle.Core.Reports;

/// <summary>What processing computed for one file.</summary>
public sealed record FileResult
{
    public required Guid FileId { get; init; }

    public required FileState State { get; init; }

    public string? Error { get; init; }

    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public string? Pdq { get; init; }

    public int? PdqQuality { get; init; }

    public int? Width { get; init; }

    public int? Height { get; init; }

    public string? Format { get; init; }

    public IReadOnlyList<StoredMatch> Matches { get; init; } = [];

    /// <summary>The metadata clues of the media; null for hashes-only files.</summary>
    public FileClues? Clues { get; init; }

    /// <summary>For a video: duration, size and vPDQ hash; null for other files.</summary>
    public VideoSummary? Video { get; init; }
}
