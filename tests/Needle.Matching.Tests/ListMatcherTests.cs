using Needle.Hashing;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class ListMatcherTests
{
    private static HashList ListWith(string name, HashListKind kind, params HashListEntry[] entries)
    {
        var list = new HashList(name, kind);
        foreach (var entry in entries)
        {
            list.Add(entry);
        }

        return list;
    }

    private static HashListEntry Pdq(string value, string label) => new(SignalTypes.Pdq, value) { Label = label, Category = "1", Source = "test" };

    [Fact]
    public void Pdq_at_distance_20_matches_a_list_with_threshold_31_and_not_one_with_threshold_10()
    {
        var loose = ListWith("loose", HashListKind.Known, Pdq(Pdq1, "a"));
        var strict = ListWith("strict", HashListKind.Known, Pdq(Pdq1, "b"));
        strict.PdqThreshold = 10;
        using var matcher = Matcher(loose, strict);

        var result = matcher.Match(new FileSignals { Pdq = Flip(TestData.Pdq(Pdq1), 20) });

        Assert.Equal(MatchStatus.Match, result.Status);
        var match = Assert.Single(result.Matches);
        Assert.Equal("loose", match.ListName);
        Assert.Equal(20, match.Distance);
        Assert.Equal(DihedralTransform.Original, match.Transform);
        Assert.Equal(Pdq1, match.MatchedValue);
        Assert.Equal("a", match.Entry.Label);
    }

    [Fact]
    public void Global_threshold_override_replaces_list_thresholds()
    {
        var strict = ListWith("strict", HashListKind.Known, Pdq(Pdq1, "b"));
        strict.PdqThreshold = 10;
        using var matcher = Matcher(new ListMatcherOptions { PdqThresholdOverride = 25 }, strict);
        Assert.Equal(MatchStatus.Match, matcher.Match(new FileSignals { Pdq = Flip(TestData.Pdq(Pdq1), 20) }).Status);
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Pdq = Flip(TestData.Pdq(Pdq1), 26) }).Status);
    }

    [Fact]
    public void File_hitting_an_allow_list_is_Allowed_and_names_the_allow_entry()
    {
        var known = ListWith("known", HashListKind.Known, Pdq(Pdq1, "known-item"));
        var allow = ListWith("false-positives", HashListKind.Allow, new HashListEntry(SignalTypes.Md5, Md5A) { Label = "logo.png" });
        using var matcher = Matcher(known, allow);

        var result = matcher.Match(new FileSignals { Pdq = TestData.Pdq(Pdq1), Md5 = Md5A });

        Assert.Equal(MatchStatus.Allowed, result.Status);
        Assert.Empty(result.Matches);
        Assert.Equal("logo.png", Assert.Single(result.AllowedBy).Entry.Label);
        Assert.Equal("known-item", Assert.Single(result.SuppressedMatches).Entry.Label);
    }

    [Fact]
    public void Disabled_entries_do_not_match_and_changes_apply_without_rebuilding()
    {
        var list = new HashList("known");
        var pdqEntry = list.Add(Pdq(Pdq1, "p"));
        var md5Entry = list.Add(new HashListEntry(SignalTypes.Md5, Md5A) { Label = "m", Enabled = false });
        using var matcher = Matcher(list);
        var file = new FileSignals { Pdq = TestData.Pdq(Pdq1), Md5 = Md5A };

        Assert.Equal(["p"], Labels(matcher.Match(file)));

        list.Disable(pdqEntry.Id);
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(file).Status);

        list.Enable(md5Entry.Id);
        Assert.Equal(["m"], Labels(matcher.Match(file)));

        list.Enable(pdqEntry.Id);
        Assert.Equal(["m", "p"], Labels(matcher.Match(file)).Order(StringComparer.Ordinal));

        list.Remove(md5Entry.Id);
        list.Add(new HashListEntry(SignalTypes.Sha1, Sha1A) { Label = "s" });
        Assert.Equal(["p"], Labels(matcher.Match(file)));
        Assert.Equal(["s"], Labels(matcher.Match(new FileSignals { Sha1 = Sha1A.ToUpperInvariant() })));
    }

    [Fact]
    public void Disabled_photodna_entries_do_not_match()
    {
        var list = new HashList("known");
        var entry = list.Add(new HashListEntry(SignalTypes.PhotoDna, PhotoDnaA) { Label = "p" });
        using var matcher = Matcher(list);
        var file = new FileSignals { PhotoDna = PhotoDnaBytes(PhotoDnaA) };
        Assert.Equal(MatchStatus.Match, matcher.Match(file).Status);
        list.Disable(entry.Id);
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(file).Status);
    }

    [Fact]
    public void Exact_hashes_match_case_insensitively()
    {
        var list = ListWith("known", HashListKind.Known,
            new HashListEntry(SignalTypes.Md5, Md5A.ToUpperInvariant()) { Label = "md5" },
            new HashListEntry(SignalTypes.Sha1, Sha1A) { Label = "sha1" },
            new HashListEntry(SignalTypes.Sha256, Sha256A) { Label = "sha256" });
        using var matcher = Matcher(list);

        var result = matcher.Match(new FileSignals { Md5 = Md5A, Sha1 = Sha1A.ToUpperInvariant(), Sha256 = Sha256A.ToUpperInvariant() });

        Assert.Equal(["md5", "sha1", "sha256"], Labels(result));
        Assert.All(result.Matches, static m => Assert.Equal(0, m.Distance));
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Md5 = Md5B, Sha1 = "not a hash" }).Status);
    }

    [Fact]
    public void Dihedral_query_reports_the_transform_that_matched()
    {
        using var matcher = Matcher(ListWith("known", HashListKind.Known, Pdq(Pdq1, "rotated")));
        var dihedral = new PdqHash[8];
        for (var t = 0; t < 8; t++)
        {
            dihedral[t] = TestData.Pdq(Pdq2); // far from Pdq1
        }

        dihedral[(int)DihedralTransform.Rotate90] = Flip(TestData.Pdq(Pdq1), 3);
        var match = Assert.Single(matcher.Match(new FileSignals { PdqDihedral = dihedral }).Matches);

        Assert.Equal(DihedralTransform.Rotate90, match.Transform);
        Assert.Equal(3, match.Distance);
    }

    [Fact]
    public void Dihedral_query_keeps_smallest_distance_and_ties_go_to_the_lower_transform()
    {
        using var matcher = Matcher(ListWith("known", HashListKind.Known, Pdq(Pdq1, "x")));
        var dihedral = new PdqHash[8];
        for (var t = 0; t < 8; t++)
        {
            dihedral[t] = TestData.Pdq(Pdq2);
        }

        dihedral[(int)DihedralTransform.Rotate180] = Flip(TestData.Pdq(Pdq1), 5);
        dihedral[(int)DihedralTransform.FlipX] = Flip(TestData.Pdq(Pdq1), 2);
        dihedral[(int)DihedralTransform.FlipMinus1] = Flip(TestData.Pdq(Pdq1), 2);
        var match = Assert.Single(matcher.Match(new FileSignals { PdqDihedral = dihedral }).Matches);

        Assert.Equal(DihedralTransform.FlipX, match.Transform);
        Assert.Equal(2, match.Distance);
    }

    [Fact]
    public void PhotoDna_matches_within_the_list_euclidean_threshold_only()
    {
        var list = ListWith("known", HashListKind.Known, new HashListEntry(SignalTypes.PhotoDna, PhotoDnaA) { Label = "pdna" });
        list.PhotoDnaThreshold = 30;
        using var matcher = Matcher(list);

        // Moving 9 components by 10 gives distance sqrt(900) = 30: on the threshold, inclusive.
        var near = PhotoDnaBytes(PhotoDnaA);
        for (var i = 0; i < 9; i++)
        {
            near[i * 16] = (byte)(near[i * 16] > 127 ? near[i * 16] - 10 : near[i * 16] + 10);
        }

        var match = Assert.Single(matcher.Match(new FileSignals { PhotoDna = near }).Matches);
        Assert.Equal(30, match.Distance, 6);

        near[143] = (byte)(near[143] > 127 ? near[143] - 1 : near[143] + 1);
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { PhotoDna = near }).Status);
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { PhotoDna = PhotoDnaBytes(PhotoDnaB) }).Status);
    }

    [Fact]
    public void Matches_are_sorted_by_distance_then_list_then_label()
    {
        var b = ListWith("b-list", HashListKind.Known, Pdq(Pdq1, "z"), Pdq(Pdq1, "y"));
        var a = ListWith("a-list", HashListKind.Known, Pdq(Pdq1, "x"), new HashListEntry(SignalTypes.Md5, Md5A) { Label = "exact" });
        using var matcher = Matcher(b, a);

        var result = matcher.Match(new FileSignals { Pdq = Flip(TestData.Pdq(Pdq1), 1), Md5 = Md5A });

        Assert.Equal(["exact", "x", "y", "z"], Labels(result));
    }

    [Fact]
    public void Low_quality_pdq_is_ignored_when_a_minimum_is_set()
    {
        using var matcher = Matcher(new ListMatcherOptions { MinimumPdqQuality = 50 }, ListWith("known", HashListKind.Known, Pdq(Pdq1, "p")));
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Pdq = TestData.Pdq(Pdq1), PdqQuality = 20 }).Status);
        Assert.Equal(MatchStatus.Match, matcher.Match(new FileSignals { Pdq = TestData.Pdq(Pdq1), PdqQuality = 80 }).Status);
    }

    [Fact]
    public async Task Concurrent_queries_and_list_changes_do_not_interfere()
    {
        var list = ListWith("known", HashListKind.Known, Pdq(Pdq1, "stable"));
        using var matcher = Matcher(list);
        var file = new FileSignals { Pdq = TestData.Pdq(Pdq1), Md5 = Md5A };
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var entry = list.Add(new HashListEntry(SignalTypes.Md5, Md5A) { Label = "churn" });
                list.Disable(entry.Id);
                list.Remove(entry.Id);
            }
        });

        Parallel.For(0, 2000, _ =>
        {
            var result = matcher.Match(file);
            Assert.Contains(result.Matches, static m => m.Entry.Label == "stable");
        });
        await stop.CancelAsync();
        await writer;
    }

    private static string[] Labels(MatchResult result) => [.. result.Matches.Select(static m => m.Entry.Label!)];
    [Fact]
    public void Exact_tables_built_in_bulk_find_every_copy_and_follow_later_changes()
    {
        static string Digest(int i) => Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(BitConverter.GetBytes(i)));
        var list = new HashList("known");
        list.AddBatch([.. Enumerable.Range(0, 3000).Select(static i => new HashListEntry(SignalTypes.Md5, Digest(i)) { Label = $"e{i}" })]);
        var copy = list.Add(new HashListEntry(SignalTypes.Md5, Digest(7)) { Label = "copy7" });
        var removed = list.Add(new HashListEntry(SignalTypes.Md5, Md5A) { Label = "removed" });
        list.Add(new HashListEntry(SignalTypes.Md5, Md5B) { Label = "disabled", Enabled = false });
        list.Remove(removed.Id);

        // Built over the existing entries in one bulk.
        using var matcher = Matcher(list);
        for (var i = 0; i < 3000; i += 97)
        {
            Assert.Equal(i == 7 ? ["copy7", "e7"] : [$"e{i}"], Labels(matcher.Match(new FileSignals { Md5 = Digest(i) })).Order(StringComparer.Ordinal));
        }

        Assert.Equal(["copy7", "e7"], Labels(matcher.Match(new FileSignals { Md5 = Digest(7) })).Order(StringComparer.Ordinal));
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Md5 = Md5A }).Status);
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Md5 = Md5B }).Status);

        // A later batch (collected, then inserted at once) and single changes after it.
        list.AddBatch([.. Enumerable.Range(3000, 5000).Select(static i => new HashListEntry(SignalTypes.Md5, Digest(i)) { Label = $"e{i}" })]);
        list.Remove(copy.Id);
        for (var i = 1; i < 8000; i += 211)
        {
            Assert.Equal([$"e{i}"], Labels(matcher.Match(new FileSignals { Md5 = Digest(i) })));
        }

        Assert.Equal(["e7"], Labels(matcher.Match(new FileSignals { Md5 = Digest(7) })));
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Md5 = Digest(8000) }).Status);
    }
}
