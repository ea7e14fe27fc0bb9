namespace Needle.Core.Reports;

/// <summary>A stored global descriptor, as the in-memory similarity column follows them.</summary>
/// <param name="Sequence">The row's sequence; rows come in sequence order.</param>
/// <param name="FileId">The file.</param>
/// <param name="ReportId">Its report.</param>
/// <param name="Descriptor">Little-endian half floats, 2 bytes per value.</param>
public sealed record RobustDescriptorRow(long Sequence, Guid FileId, Guid ReportId, byte[] Descriptor)
{
    /// <summary>The identity of the model that made the descriptor, or null for the default model (see <see cref="RobustFeatureRow.Model"/>).</summary>
    public string? Model { get; init; }
}
