namespace Needle.Core.Reports;

/// <summary>How a video matched a vPDQ list entry.</summary>
/// <param name="Rule">"known" (enough of the listed video was found), "clip" (enough of the file was found in it), or both, comma-separated; "md5" for a byte-identical file; "frame" for a listed picture found in a frame of an animated image.</param>
/// <param name="QueryPercent">Share of the file's distinct frames that matched.</param>
/// <param name="KnownPercent">Share of the listed video's distinct frames that matched.</param>
/// <param name="Segments">Corresponding time ranges, file to listed video.</param>
public sealed record VideoMatchDetails(string Rule, double QueryPercent, double KnownPercent, IReadOnlyList<MatchedTimeRange> Segments)
{
    /// <summary>
    /// For a listed picture found in one frame of an animated image (Rule "frame"): the number of the frame (from 0)
    /// where it matched closest; null for a vPDQ match.
    /// </summary>
    public int? Frame { get; init; }
}
