using Needle.Hashing;
using Needle.Matching.Index;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

/// <summary>
/// The list matcher holds each hash once: the PDQ index is built over the list's own value column and the exact-hash
/// table holds value numbers, not keys. Results must equal a brute-force matcher's through adds, removes and disables.
/// </summary>
public sealed class ListMatcherMemoryTests
{
    [Fact]
    public void Pdq_index_searches_the_lists_own_hash_column_instead_of_a_copy()
    {
        var list = new HashList("big", HashListKind.Known);
        var random = new Random(5);
        list.AddRange(Enumerable.Range(0, 6000).Select(i => new HashListEntry(SignalTypes.Pdq, RandomPdq(random).ToString()) { Label = $"p{i}" }));
        using var matcher = Matcher(list);

        var pdq = Assert.IsType<PdqSignalMatcher>(matcher.MatcherFor(list, SignalTypes.Pdq));
        var index = Assert.IsType<MultiIndexHammingIndex>(pdq.Index);
        var column = list.ColumnOf(SignalTypes.Pdq)!;
        Assert.Same(column.Words, index.MainWords);
        Assert.Equal(0, index.DeltaCount);
    }

    [Fact]
    public void Exact_table_holds_value_numbers_at_most_half_full()
    {
        var list = new HashList("md5", HashListKind.Known);
        var random = new Random(6);
        list.AddRange(Enumerable.Range(0, 5000).Select(i => new HashListEntry(SignalTypes.Md5, RandomHex(random, 32)) { Label = $"m{i}" }));
        using var matcher = Matcher(list);

        var exact = Assert.IsType<ExactSignalMatcher<UInt128>>(matcher.MatcherFor(list, SignalTypes.Md5));
        Assert.InRange(exact.TableLength, 2 * 5000, 4 * 5000);
    }

    [Fact]
    public void Matches_equal_a_brute_force_matcher_through_adds_removes_and_disables()
    {
        var random = new Random(11);
        var lists = new[] { new HashList("a", HashListKind.Known), new HashList("b", HashListKind.Allow) };
        lists[1].PdqThreshold = 20;
        var centres = Enumerable.Range(0, 40).Select(_ => RandomPdq(random)).ToArray();
        var md5s = Enumerable.Range(0, 40).Select(_ => RandomHex(random, 32)).ToArray();
        HashListEntry Next(int i) => random.Next(3) == 0
            ? new HashListEntry(SignalTypes.Md5, md5s[random.Next(md5s.Length)]) { Label = $"m{i}" }
            : new HashListEntry(SignalTypes.Pdq, Flip(centres[random.Next(centres.Length)], random.Next(40)).ToString()) { Label = $"p{i}" };

        // A bulk load big enough to build the shared main segment, then single changes that go through the delta and
        // (with a small merge threshold) rebuild it over the grown column.
        foreach (var list in lists)
        {
            list.AddRange(Enumerable.Range(0, 5000).Select(Next));
        }

        using var shared = new ListMatcher(lists, static () => new MultiIndexHammingIndex(new PdqIndexOptions { DeltaMergeThreshold = 64 }));
        using var brute = new ListMatcher(lists, static () => new BruteForcePdqIndex());
        for (var round = 0; round < 600; round++)
        {
            var list = lists[random.Next(lists.Length)];
            switch (random.Next(4))
            {
                case 0:
                    list.Remove(random.Next(1, 5200));
                    break;
                case 1:
                    list.SetEnabled(random.Next(1, 5200), random.Next(2) == 0);
                    break;
                default:
                    list.Add(Next(round));
                    break;
            }

            if (round % 50 == 0)
            {
                list.AddRange(Enumerable.Range(0, 10).Select(Next));
            }

            var query = random.Next(2) == 0
                ? new FileSignals { Pdq = Flip(centres[random.Next(centres.Length)], random.Next(30)) }
                : new FileSignals { Md5 = md5s[random.Next(md5s.Length)].ToUpperInvariant() };
            Assert.Equal(Describe(brute.Match(query)), Describe(shared.Match(query)));
        }
    }

    private static string Describe(MatchResult result) =>
        $"{result.Status}: " + string.Join(", ", result.Matches.Concat(result.AllowedBy).Concat(result.SuppressedMatches)
            .Select(m => $"{m.ListName}/{m.Entry.Id}/{m.Distance}").Order(StringComparer.Ordinal));

    private static PdqHash RandomPdq(Random random)
    {
        var bytes = new byte[32];
        random.NextBytes(bytes);
        bytes[0] |= 1;
        return PdqHash.ReadBigEndian(bytes);
    }

    private static string RandomHex(Random random, int digits)
    {
        var bytes = new byte[digits / 2];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }
}
