namespace Needle.Core.Reports;

/// <summary>A processed image's robust features as stored.</summary>
/// <param name="FileId">The file.</param>
/// <param name="ReportId">Its report.</param>
/// <param name="Descriptor">The L2-normalised global descriptor as little-endian half floats (2 bytes per value).</param>
/// <param name="Features">The whole robust entry, <c>r1.</c> + base64 (descriptor and keypoints).</param>
public sealed record RobustFeatureRow(Guid FileId, Guid ReportId, byte[] Descriptor, string Features)
{
    /// <summary>The file's SHA-256 (lowercase hex), so identical copies find these features instead of computing them; null stores none.</summary>
    public string? Sha256 { get; init; }

    /// <summary>
    /// The identity of the model that made the features (64 lowercase hex digits), or null for the default model (which
    /// made every row stored before models were recorded). Features of different models are never compared.
    /// </summary>
    public string? Model { get; init; }
}
