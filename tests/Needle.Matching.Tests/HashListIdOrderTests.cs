using Needle.Matching.Index;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

/// <summary>
/// Entries are found by id whether ids arrived in order (binary search, no map) or not (the map built at the first id
/// out of order), through removals and re-adds, and a snapshot file gives back the same list either way.
/// </summary>
public sealed class HashListIdOrderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("needle-idorder-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(new[] { 1, 2, 3, 7, 9, 12 })]
    [InlineData(new[] { 12, 3, 9, 1, 7, 2 })]
    [InlineData(new[] { 1, 2, 9, 7, 12, 3 })]
    public void EntriesAreFoundRemovedAndReAddedInAnyIdOrder(int[] ids)
    {
        var list = new HashList("k");
        string[] pdq = [Pdq1, Pdq2, Pdq3];
        string[] md5 = [Md5A, Md5B, "ffffffffffffffffffffffffffffffff"];
        for (var i = 0; i < ids.Length; i++)
        {
            var entry = i % 2 == 0 ? new HashListEntry(SignalTypes.Pdq, pdq[i / 2]) : new HashListEntry(SignalTypes.Md5, md5[i / 2]);
            list.Add(entry with { Id = ids[i], Label = $"e{ids[i]}" });
        }

        Assert.Equal(ids.Length, list.Count);
        foreach (var id in ids)
        {
            Assert.True(list.TryGet(id, out var entry));
            Assert.Equal($"e{id}", entry.Label);
        }

        Assert.False(list.TryGet(4, out _));
        Assert.False(list.TryGet(100, out _));
        Assert.Throws<ArgumentException>(() => list.Add(new HashListEntry(SignalTypes.Md5, Md5B) { Id = ids[2] }));

        Assert.True(list.Remove(ids[1]));
        Assert.False(list.Remove(ids[1]));
        Assert.False(list.TryGet(ids[1], out _));
        Assert.False(list.SetEnabled(ids[1], false));
        Assert.True(list.SetEnabled(ids[3], false));
        Assert.True(list.TryGetEnabled(ids[3], out var enabled));
        Assert.False(enabled);
        Assert.Equal(ids.Length - 1, list.Count);
        Assert.Equal(ids.Where((_, i) => i != 1).Order(), list.Entries.Select(e => e.Id));

        // The removed id may come back (out of order now), and a new id after it.
        list.Add(new HashListEntry(SignalTypes.Md5, Md5B) { Id = ids[1], Label = "again" });
        list.Add(new HashListEntry(SignalTypes.Md5, Md5A) { Label = "next" });
        Assert.True(list.TryGet(ids[1], out var again));
        Assert.Equal("again", again.Label);
        Assert.Equal(ids.Length + 1, list.Count);
        Assert.Equal(13, list.Entries[^1].Id);

        using var matcher = new ListMatcher([list], static () => new MultiIndexHammingIndex());
        var md5b = matcher.Match(new FileSignals { Md5 = Md5B });
        Assert.Contains(md5b.Matches, m => m.Entry.Label == "again");

        var path = Path.Combine(_directory, "k.ndls");
        HashListSnapshotFile.Write(path, list, new HashListSnapshotInfo(1, 2, "anchor"));
        var loaded = HashListSnapshotFile.Read(path, null);
        Assert.Equal(new HashListSnapshotInfo(1, 2, "anchor"), loaded.Info);
        Assert.Equal(list.Entries.Select(Describe), loaded.List.Entries.Select(Describe));
        Assert.True(loaded.List.TryGet(ids[1], out var reloaded));
        Assert.Equal("again", reloaded.Label);
        Assert.True(loaded.List.Remove(ids[0]));
        Assert.False(loaded.List.TryGet(ids[0], out _));
    }

    private static string Describe(HashListEntry e) => $"{e.Id} {e.SignalType} {e.Value} {e.Enabled} {e.Label}";
}
