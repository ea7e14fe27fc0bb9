using System.Security.Cryptography;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

/// <summary>The list's columns and detail records give back exactly what was added, in memory and in a detail file.</summary>
public sealed class CompactListTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-compact-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryFieldOfEverySignalTypeComesBackAsAdded(bool detailsOnDisk)
    {
        var list = detailsOnDisk ? new HashList("k", HashListKind.Known, _directory) : new HashList("k");
        HashListEntry[] added =
        [
            new(SignalTypes.Pdq, Pdq1.ToUpperInvariant()) { Label = "a", Category = "1", Source = "s.csv", Metadata = new Dictionary<string, string> { ["x"] = "y", ["é"] = "ü ✓" } },
            new(SignalTypes.Md5, Md5A) { Label = string.Empty },
            new(SignalTypes.Sha1, Sha1A) { Category = "2", Enabled = false },
            new(SignalTypes.Sha256, Sha256A) { Source = "src" },
            new(SignalTypes.PhotoDna, PhotoDnaA) { Label = "p" },
            new(SignalTypes.Vpdq, "0,100," + Pdq2 + ",0.000"),
            new(SignalTypes.Vpdq, "0,90," + Pdq3 + ",1.000") { Label = "v", Metadata = new Dictionary<string, string> { ["k"] = string.Empty } },
            new(SignalTypes.Md5, Md5B),
        ];
        foreach (var entry in added)
        {
            list.Add(entry);
        }

        var back = list.Entries;
        Assert.Equal(added.Length, back.Count);
        for (var i = 0; i < added.Length; i++)
        {
            Assert.Equal(i + 1, back[i].Id);
            Assert.Same(added[i].SignalType, back[i].SignalType);
            Assert.Equal(added[i].Value, back[i].Value);
            Assert.Equal(added[i].Label, back[i].Label);
            Assert.Equal(added[i].Category, back[i].Category);
            Assert.Equal(added[i].Source, back[i].Source);
            Assert.Equal(added[i].Enabled, back[i].Enabled);
            Assert.Equal(added[i].Metadata, back[i].Metadata);
        }

        Assert.True(list.TryGet(1, out var first));
        Assert.Equal("ü ✓", first.Metadata["é"]);
        Assert.Equal(Pdq1, first.Value);
    }

    [Fact]
    public void IdsAddedAndRemovedInAnyOrderAreFoundExactlyWhilePresent()
    {
        var list = new HashList("k");
        var model = new Dictionary<int, string>();
        var random = new Random(7);
        for (var step = 0; step < 20_000; step++)
        {
            var id = random.Next(1, 3_000);
            if (model.ContainsKey(id) && random.Next(3) == 0)
            {
                Assert.True(list.Remove(id));
                model.Remove(id);
            }
            else if (!model.ContainsKey(id))
            {
                var md5 = RandomMd5(random);
                list.Add(new HashListEntry(SignalTypes.Md5, md5) { Id = id, Label = "l" + id });
                model[id] = md5;
            }
        }

        Assert.Equal(model.Count, list.Count);
        for (var id = 1; id < 3_000; id++)
        {
            Assert.Equal(model.ContainsKey(id), list.TryGet(id, out var entry));
            if (model.TryGetValue(id, out var md5))
            {
                Assert.Equal(md5, entry.Value);
                Assert.Equal("l" + id, entry.Label);
            }
        }
    }

    [Fact]
    public void ExactMatchesFollowDuplicatesRemovalsAndReAdds()
    {
        var a = new HashList("a");
        var b = new HashList("b");
        using var matcher = Matcher(a, b);
        var random = new Random(11);
        var digests = Enumerable.Range(0, 200).Select(_ => RandomMd5(random)).ToArray();
        var present = new List<(HashList List, int Id, string Md5)>();
        for (var step = 0; step < 3_000; step++)
        {
            if (present.Count > 0 && random.Next(3) == 0)
            {
                var victim = present[random.Next(present.Count)];
                Assert.True(victim.List.Remove(victim.Id));
                present.Remove(victim);
            }
            else
            {
                var list = random.Next(2) == 0 ? a : b;
                var md5 = digests[random.Next(digests.Length)];
                var entry = list.Add(new HashListEntry(SignalTypes.Md5, md5));
                present.Add((list, entry.Id, md5));
            }

            if (step % 100 == 0)
            {
                foreach (var md5 in digests)
                {
                    var expected = present.Where(p => p.Md5 == md5).Select(p => (p.List.Name, p.Id)).Order().ToArray();
                    var actual = matcher.Match(new FileSignals { Md5 = md5.ToUpperInvariant() }).Matches.Select(m => (m.ListName, m.Entry.Id)).Order().ToArray();
                    Assert.Equal(expected, actual);
                }
            }
        }
    }

    [Fact]
    public void AMatchCarriesTheDetailsReadBackFromTheDetailFile()
    {
        var list = new HashList("disk", HashListKind.Known, _directory);
        for (var i = 0; i < 5_000; i++)
        {
            list.Add(new HashListEntry(SignalTypes.Md5, Convert.ToHexStringLower(MD5.HashData(BitConverter.GetBytes(i)))) { Label = "item-" + i, Metadata = new Dictionary<string, string> { ["n"] = new string('x', i % 300) } });
        }

        using var matcher = Matcher(list);
        var match = Assert.Single(matcher.Match(new FileSignals { Md5 = Convert.ToHexString(MD5.HashData(BitConverter.GetBytes(4321))) }).Matches);
        Assert.Equal("item-4321", match.Entry.Label);
        Assert.Equal(new string('x', 4321 % 300), match.Entry.Metadata["n"]);
        Assert.Equal(4322, match.Entry.Id);

        // The detail file has no name: nothing is left behind however the process ends (Windows deletes it on close).
        if (!OperatingSystem.IsWindows())
        {
            Assert.Empty(Directory.GetFiles(_directory));
        }
    }

    [Fact]
    public void AMatcherBuiltOverALargeListInOneGoFindsWhatBruteForceFinds()
    {
        var list = new HashList("big");
        var random = new Random(3);
        var hashes = new List<(int Id, Needle.Hashing.PdqHash Hash, bool Enabled)>();
        Span<ulong> words = stackalloc ulong[4];
        for (var i = 0; i < 20_000; i++)
        {
            for (var w = 0; w < 4; w++)
            {
                words[w] = (ulong)random.NextInt64();
            }

            var hash = Needle.Hashing.PdqHash.FromWords(words);
            var entry = list.Add(new HashListEntry(SignalTypes.Pdq, hash.ToString()) { Label = "e" + i, Enabled = i % 7 != 0 });
            hashes.Add((entry.Id, hash, entry.Enabled));
        }

        // Removed before the matcher exists: never found.
        for (var i = 0; i < hashes.Count; i += 11)
        {
            Assert.True(list.Remove(hashes[i].Id));
        }

        hashes = [.. hashes.Where((_, i) => i % 11 != 0)];
        using var matcher = Matcher(list);
        for (var q = 0; q < 200; q++)
        {
            var query = Flip(hashes[random.Next(hashes.Count)].Hash, random.Next(40));
            var expected = hashes.Where(h => h.Enabled && h.Hash.HammingDistance(query) <= 31).Select(h => h.Id).Order().ToArray();
            var actual = matcher.Match(new FileSignals { Pdq = query }).Matches.Select(m => m.Entry.Id).Order().ToArray();
            Assert.Equal(expected, actual);
        }

        // And it follows changes after the build.
        var target = hashes.First(h => h.Enabled);
        Assert.True(list.Disable(target.Id));
        Assert.DoesNotContain(matcher.Match(new FileSignals { Pdq = target.Hash }).Matches, m => m.Entry.Id == target.Id);
        Assert.True(list.Enable(target.Id));
        Assert.Contains(matcher.Match(new FileSignals { Pdq = target.Hash }).Matches, m => m.Entry.Id == target.Id);
    }

    [Fact]
    public void ALargeBatchAddedToAListAMatcherFollowsIsMatchedLikeBruteForce()
    {
        var list = new HashList("live");
        var other = new HashList("other");
        var random = new Random(5);
        var all = new List<(HashList List, int Id, Needle.Hashing.PdqHash Hash)>();
        using var matcher = Matcher(list, other);
        foreach (var (target, count) in new[] { (list, 3_000), (other, 100), (list, 30_000), (other, 5_000), (list, 10) })
        {
            var batch = Enumerable.Range(0, count).Select(_ => RandomPdq(random)).ToArray();
            var added = target.AddRange(batch.Select(h => new HashListEntry(SignalTypes.Pdq, h.ToString()) { Label = "x" }));
            all.AddRange(added.Select((e, i) => (target, e.Id, batch[i])));
        }

        var removed = all.Where((_, i) => i % 13 == 0).ToList();
        foreach (var (target, id, _) in removed)
        {
            Assert.True(target.Remove(id));
        }

        all = [.. all.Except(removed)];
        var disabled = all.Where((_, i) => i % 17 == 0).ToHashSet();
        foreach (var (target, id, _) in disabled)
        {
            Assert.True(target.Disable(id));
        }

        for (var q = 0; q < 150; q++)
        {
            var query = Flip(all[random.Next(all.Count)].Hash, random.Next(40));
            var expected = all.Where(e => !disabled.Contains(e) && e.Hash.HammingDistance(query) <= 31).Select(e => (e.List.Name, e.Id)).Order().ToArray();
            var actual = matcher.Match(new FileSignals { Pdq = query }).Matches.Select(m => (m.ListName, m.Entry.Id)).Order().ToArray();
            Assert.Equal(expected, actual);
        }
    }

    private static Needle.Hashing.PdqHash RandomPdq(Random random)
    {
        Span<ulong> words = stackalloc ulong[4];
        for (var w = 0; w < 4; w++)
        {
            words[w] = (ulong)random.NextInt64();
        }

        return Needle.Hashing.PdqHash.FromWords(words);
    }

    private static string RandomMd5(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return Convert.ToHexStringLower(bytes);
    }

}
