using System.Globalization;
using Needle.Matching.Lists;

namespace Needle.Matching.Tests;

/// <summary>
/// A snapshot copies the entries' detail records in bulk from wherever the list keeps them (memory, a detail file, or
/// the snapshot it was loaded from plus what was added since), across read windows and write buffers, with removed
/// entries' records skipped, and a capture writes the entries it captured whatever the list does afterwards.
/// </summary>
public sealed class HashListSnapshotWriteTests : IDisposable
{
    private const int Entries = 6_000;

    private readonly string _directory = Directory.CreateTempSubdirectory("needle-snapwrite-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EveryDetailRecordComesBackFromEachKindOfDetailStore(bool detailFile)
    {
        var details = detailFile ? Path.Combine(_directory, "details") : null;
        var list = new HashList("big", HashListKind.Known, details);
        for (var i = 1; i <= Entries; i++)
        {
            list.Add(Entry(i));
        }

        // Gaps in the detail records (removed entries), a disabled one, and records larger than the read window and
        // the write buffer in the middle.
        for (var i = 3; i <= Entries; i += 7)
        {
            Assert.True(list.Remove(i));
        }

        Assert.True(list.SetEnabled(11, false));
        list.Add(Entry(Entries + 1) with { Label = new string('x', 5 << 20) });
        list.Add(Entry(Entries + 2) with { Label = new string('y', 1 << 20) });
        list.Add(Entry(Entries + 3));

        var first = Path.Combine(_directory, "first.ndls");
        HashListSnapshotFile.Write(first, list, new HashListSnapshotInfo(1, 5, "a"));
        var loaded = HashListSnapshotFile.Read(first, details);
        Assert.Equal(Describe(list), Describe(loaded.List));

        // A list loaded from a snapshot keeps its details there and adds new ones elsewhere; its own snapshot reads both.
        loaded.List.Add(Entry(Entries + 4) with { Label = new string('z', 3 << 20) });
        loaded.List.Add(Entry(Entries + 5));
        Assert.True(loaded.List.Remove(1));
        var second = Path.Combine(_directory, "second.ndls");
        HashListSnapshotFile.Write(second, loaded.List, new HashListSnapshotInfo(1, 9, "a"));
        var again = HashListSnapshotFile.Read(second, details);
        Assert.Equal(new HashListSnapshotInfo(1, 9, "a"), again.Info);
        Assert.Equal(Describe(loaded.List), Describe(again.List));
        Assert.True(again.List.TryGet(Entries + 4, out var large));
        Assert.Equal(3 << 20, large.Label!.Length);
        Assert.False(again.List.TryGet(1, out _));
        Assert.True(again.List.TryGetEnabled(11, out var enabled));
        Assert.False(enabled);
    }

    [Fact]
    public void ACaptureWritesWhatItCapturedWhileTheListMovesOn()
    {
        var list = new HashList("moving", HashListKind.Known, Path.Combine(_directory, "details"));
        for (var i = 1; i <= 100; i++)
        {
            list.Add(Entry(i));
        }

        // No entry removed: the capture copies whole columns.
        var before = Describe(list);
        var capture = HashListSnapshotFile.Capture(list);
        for (var i = 101; i <= Entries; i++)
        {
            list.Add(Entry(i));
        }

        Assert.True(list.Remove(50));
        var path = Path.Combine(_directory, "moving.ndls");
        HashListSnapshotFile.Write(path, capture, new HashListSnapshotInfo(2, 3, "b"));
        var loaded = HashListSnapshotFile.Read(path, null);
        Assert.Equal(before, Describe(loaded.List));
        Assert.Equal(100, loaded.List.Count);

        // With an entry removed the capture goes row by row; both give the same file for the same entries.
        var whole = Path.Combine(_directory, "whole.ndls");
        var byRow = Path.Combine(_directory, "byrow.ndls");
        var fresh = new HashList("moving", HashListKind.Known, null);
        for (var i = 1; i <= 101; i++)
        {
            fresh.Add(Entry(i));
        }

        HashListSnapshotFile.Write(whole, loaded.List, new HashListSnapshotInfo(2, 3, "b"));
        Assert.True(fresh.Remove(101));
        HashListSnapshotFile.Write(byRow, fresh, new HashListSnapshotInfo(2, 3, "b"));
        Assert.Equal(File.ReadAllBytes(whole), File.ReadAllBytes(byRow));
    }

    private static List<string> Describe(HashList list) =>
        [.. list.Entries.Select(e => $"{e.Id} {e.SignalType} {e.Value} {e.Enabled} {e.Label} {e.Category} {e.Source} {string.Join(',', e.Metadata.Select(m => $"{m.Key}={m.Value}"))}")];

    private static HashListEntry Entry(int i)
    {
        var hex = i.ToString("x8", CultureInfo.InvariantCulture);
        // PDQ and MD5 fill whole 8-byte words, SHA-1 does not, vPDQ keeps its (variable) value with the details.
        var entry = (i % 6) switch
        {
            0 or 3 => new HashListEntry(SignalTypes.Md5, string.Concat(Enumerable.Repeat(hex, 4))),
            1 => new HashListEntry(SignalTypes.Sha1, string.Concat(Enumerable.Repeat(hex, 5))),
            5 when i % 12 == 5 => new HashListEntry(SignalTypes.Vpdq, $"0,100,{string.Concat(Enumerable.Repeat(hex, 8))},0.000"),
            _ => new HashListEntry(SignalTypes.Pdq, string.Concat(Enumerable.Repeat(hex, 8))),
        };
        return entry with
        {
            Id = i,
            Label = $"label {i}",
            Category = i % 5 == 0 ? null : "cat",
            Source = "test",
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal) { ["note"] = new string('n', 200 + (i % 50)), ["i"] = hex },
        };
    }
}
