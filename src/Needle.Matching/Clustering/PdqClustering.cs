namespace Needle.Matching.Clustering;

/// <summary>Clusters of near-duplicate hashes: <see cref="ClusterIds"/>[i] is the cluster of hash i.</summary>
/// <param name="ClusterIds">Dense cluster ids 0..ClusterCount-1, numbered in order of each cluster's first hash.</param>
/// <param name="ClusterCount">Number of clusters (singletons included).</param>
public sealed record PdqClustering(IReadOnlyList<int> ClusterIds, int ClusterCount);
