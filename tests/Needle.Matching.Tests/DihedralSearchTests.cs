using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public class DihedralSearchTests
{
    [Fact]
    public void Dihedral_lookup_names_the_transform_that_matched_nearest()
    {
        var random = new Random(8);
        var stored = IndexTestData.RandomHashes(random, 500);
        var index = MultiIndexHammingIndex.BuildFrom(stored, IndexTestData.Ids(500));

        // The query image's rot180 variant is near entry 0 (id 0), its flipx variant is near entry 1 (id 3).
        var variants = IndexTestData.RandomHashes(random, 8);
        variants[(int)DihedralTransform.Rotate180] = IndexTestData.FlipBits(random, stored[0], 4);
        variants[(int)DihedralTransform.FlipX] = IndexTestData.FlipBits(random, stored[1], 7);
        var hits = new List<DihedralHit>();
        index.RangeSearchDihedral(variants, 31, hits);

        Assert.Equal([new DihedralHit(0, 4, DihedralTransform.Rotate180), new DihedralHit(3, 7, DihedralTransform.FlipX)], hits);
    }

    [Fact]
    public void Dihedral_lookup_keeps_the_minimum_distance_and_the_lower_transform_on_ties()
    {
        var random = new Random(10);
        var stored = IndexTestData.RandomHashes(random, 100);
        var index = new BruteForcePdqIndex();
        for (int i = 0; i < stored.Length; i++)
        {
            index.Add(i, stored[i]);
        }

        var variants = IndexTestData.RandomHashes(random, 8);
        variants[(int)DihedralTransform.Rotate270] = IndexTestData.FlipBits(random, stored[42], 5);
        variants[(int)DihedralTransform.FlipY] = IndexTestData.FlipBits(random, stored[42], 3);
        variants[(int)DihedralTransform.FlipMinus1] = IndexTestData.FlipBits(random, stored[42], 3);
        var hits = new List<DihedralHit>();
        index.RangeSearchDihedral(variants, 10, hits);

        Assert.Equal([new DihedralHit(42, 3, DihedralTransform.FlipY)], hits);
        Assert.Throws<ArgumentException>(() => index.RangeSearchDihedral(variants.AsSpan(0, 7), 10, hits));
    }
}
