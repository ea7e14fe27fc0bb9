using System.Diagnostics;
using System.Globalization;
using Needle.Matching.Lists;

namespace Needle.LoadTest.Lists;

/// <summary>Runs the <c>list-snapshot</c> measurements (see <see cref="ListSnapshotCommand"/>).</summary>
internal static class ListSnapshotBenchmark
{
    public static void Run(int entries, int runs, TextWriter o)
    {
        var folder = Directory.CreateTempSubdirectory("needle-list-snapshot-").FullName;
        try
        {
            var details = Path.Combine(folder, "details");
            var list = Build(entries, details);
            o.WriteLine(FormattableString.Invariant($"Needle.LoadTest list-snapshot: {entries} entries (half PDQ, half MD5, label and category), {Environment.ProcessorCount} cores"));
            for (var i = 0; i < 3; i++)
            {
                var (wall, _) = Measure(() => HashListSnapshotFile.Capture(list));
                o.WriteLine(FormattableString.Invariant($"capture (the list's lock held): {wall:F3} s"));
            }

            var path = Path.Combine(folder, "bench.ndls");
            for (var i = 0; i < runs; i++)
            {
                var (wall, cpu) = Measure(() => HashListSnapshotFile.Write(path, list, new HashListSnapshotInfo(1, i, "bench")));
                var bytes = new FileInfo(path).Length;
                o.WriteLine(FormattableString.Invariant($"write: {wall:F2} s wall, {cpu:F2} CPU s, {bytes / 1e6:F0} MB ({bytes / (double)entries:F1} B/entry), {bytes / 1e6 / wall:F0} MB/s"));
                HashListSnapshot? read = null;
                (wall, cpu) = Measure(() => read = HashListSnapshotFile.Read(path, details));
                o.WriteLine(FormattableString.Invariant($"read:  {wall:F2} s wall, {cpu:F2} CPU s, {bytes / 1e6 / wall:F0} MB/s"));
                Check(list, read!.List);
                if (i == 0)
                {
                    var again = Path.Combine(folder, "again.ndls");
                    (wall, cpu) = Measure(() => HashListSnapshotFile.Write(again, read.List, new HashListSnapshotInfo(1, i, "bench")));
                    o.WriteLine(FormattableString.Invariant($"write of the list read back (details from the snapshot file): {wall:F2} s wall, {cpu:F2} CPU s"));
                    File.Delete(again);
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static HashList Build(int entries, string details)
    {
        var list = new HashList("bench", HashListKind.Known, details);
        var random = new Random(7);
        var bytes = new byte[32];
        for (var i = 1; i <= entries; i++)
        {
            random.NextBytes(bytes);
            var entry = i % 2 == 0
                ? new HashListEntry(SignalTypes.Pdq, Convert.ToHexStringLower(bytes))
                : new HashListEntry(SignalTypes.Md5, Convert.ToHexStringLower(bytes.AsSpan(0, 16)));
            list.Add(entry with { Id = i, Label = "label-" + i.ToString(CultureInfo.InvariantCulture), Category = "A1" });
        }

        return list;
    }

    // The list read back holds the same entries (a sample, with their details).
    private static void Check(HashList written, HashList read)
    {
        if (read.Count != written.Count)
        {
            throw new InvalidOperationException($"the snapshot holds {read.Count} entries, the list {written.Count}");
        }

        var step = Math.Max(1, written.Count / 1000);
        for (var id = 1; id <= written.Count; id += step)
        {
            if (!written.TryGet(id, out var a) || !read.TryGet(id, out var b) || a.Value != b.Value || a.Label != b.Label || a.Category != b.Category)
            {
                throw new InvalidOperationException($"entry {id} differs between the list and its snapshot");
            }
        }
    }

    private static (double Wall, double Cpu) Measure(Action action)
    {
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        action();
        var wall = watch.Elapsed.TotalSeconds;
        process.Refresh();
        return (wall, (process.TotalProcessorTime - cpu).TotalSeconds);
    }
}
