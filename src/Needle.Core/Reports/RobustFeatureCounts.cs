namespace Needle.Core.Reports;

/// <summary>What the stored robust features hold: rows with features of their own, and identical copies referring to one.</summary>
/// <param name="WithFeatures">Files whose row holds a descriptor and a robust entry.</param>
/// <param name="Copies">Files whose row refers to another file's features (same SHA-256).</param>
/// <param name="FeatureBytes">Bytes of the descriptors and robust entries held (before any page or index overhead).</param>
public sealed record RobustFeatureCounts(long WithFeatures, long Copies, long FeatureBytes);
