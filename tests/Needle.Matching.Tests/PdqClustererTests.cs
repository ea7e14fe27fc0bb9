using Needle.Hashing;
using Needle.Matching.Clustering;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class PdqClustererTests
{
    [Fact]
    public void Near_duplicates_share_a_cluster_and_chains_are_joined()
    {
        var a = Pdq(Pdq1);
        PdqHash[] hashes = [a, Pdq(Pdq2), Flip(a, 10), Flip(a, 20), Pdq(Pdq3)];
        var clustering = new PdqClusterer(static () => new Needle.Matching.Index.MultiIndexHammingIndex()).Cluster(hashes, 12);

        // a~flip10 (10) and flip10~flip20 (10) chain together although a and flip20 are 20 apart.
        Assert.Equal([0, 1, 0, 0, 2], clustering.ClusterIds);
        Assert.Equal(3, clustering.ClusterCount);
    }

    [Fact]
    public void Empty_input_gives_no_clusters() =>
        Assert.Equal(0, new PdqClusterer(static () => new Needle.Matching.Index.MultiIndexHammingIndex()).Cluster([], 31).ClusterCount);
}
