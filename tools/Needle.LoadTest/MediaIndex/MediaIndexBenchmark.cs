using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.Application.Lists;
using Needle.Application.Triage;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Storage.Sqlite;
using Needle.Video;

namespace Needle.LoadTest.MediaIndex;

/// <summary>Runs the <c>media-index</c> measurements (see <see cref="MediaIndexCommand"/>).</summary>
internal static class MediaIndexBenchmark
{
    public static async Task RunAsync(int files, int videos, int framesPerVideo, TextWriter o, Action<string> progress, CancellationToken ct)
    {
        var folder = Directory.CreateTempSubdirectory("needle-media-index-").FullName;
        try
        {
            var db = Path.Combine(folder, "needle.db");
            // No background refresh while measuring: the figures are the catch-ups alone.
            var snapshots = new ListSnapshotOptions { Directory = Path.Combine(folder, "snapshots"), RefreshAfterChanges = int.MaxValue };
            progress($"writing {files} processed files into {db}");
            await GenerateAsync(db, files, ct).ConfigureAwait(false);
            SqliteConnection.ClearAllPools();
            await using var store = new SqliteNeedleStore(db, new SqliteStoreOptions());
            o.WriteLine(FormattableString.Invariant($"Needle.LoadTest media-index: {files} processed files of random PDQs, SQLite, {Environment.ProcessorCount} cores"));

            // From the database (no snapshot yet), then from the snapshot written after it.
            var fromStore = new NearDuplicateMediaIndex(store.Triage, ScoringOptions.Default, snapshots, null);
            var (storeWall, storeCpu, storeBytes) = await MeasureAsync(fromStore, ct).ConfigureAwait(false);
            var watch = Stopwatch.StartNew();
            await fromStore.WriteSnapshotAsync(ct).ConfigureAwait(false);
            var writeWall = watch.Elapsed.TotalSeconds;
            var snapshotBytes = new FileInfo(Path.Combine(snapshots.Directory, NearDuplicateMediaIndex.SnapshotFileName)).Length;
            using var fromSnapshot = new NearDuplicateMediaIndex(store.Triage, ScoringOptions.Default, snapshots, null);
            var (snapWall, snapCpu, snapBytes) = await MeasureAsync(fromSnapshot, ct).ConfigureAwait(false);

            // The same searches find the same files (near the stored hashes and random ones).
            var random = new Random(11);
            var words = new ulong[4];
            for (var i = 0; i < 200; i++)
            {
                for (var w = 0; w < 4; w++)
                {
                    words[w] = (ulong)random.NextInt64();
                }

                var query = PdqHash.FromWords(words);
                var a = await fromStore.FindAsync(query, Guid.Empty, 100, ct).ConfigureAwait(false);
                var b = await fromSnapshot.FindAsync(query, Guid.Empty, 100, ct).ConfigureAwait(false);
                if (!a.SequenceEqual(b))
                {
                    throw new InvalidOperationException($"search {i} found {a.Count} files from the database but {b.Count} from the snapshot");
                }
            }

            fromStore.Dispose();
            o.WriteLine(FormattableString.Invariant($"held files:                      {fromSnapshot.Count}"));
            o.WriteLine(FormattableString.Invariant($"from the database: wall s        {storeWall:F2}  CPU s {storeCpu:F2}  managed B/file {storeBytes / (double)fromSnapshot.Count:F1}"));
            o.WriteLine(FormattableString.Invariant($"snapshot written: wall s         {writeWall:F2}  MB {snapshotBytes / 1048576.0:F1}"));
            o.WriteLine(FormattableString.Invariant($"from the snapshot: wall s        {snapWall:F2}  CPU s {snapCpu:F2}  managed B/file {snapBytes / (double)fromSnapshot.Count:F1}"));
            o.WriteLine(FormattableString.Invariant($"start ratio (database/snapshot): wall {storeWall / snapWall:F1}x  CPU {storeCpu / Math.Max(snapCpu, 1e-3):F1}x; 200 searches found the same files"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }

        if (videos > 0)
        {
            MeasureVideo(videos, framesPerVideo, o);
        }
    }

    private static async Task<(double Wall, double Cpu, long Bytes)> MeasureAsync(NearDuplicateMediaIndex index, CancellationToken ct)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        await index.CatchUpAsync(ct).ConfigureAwait(false);
        var wall = watch.Elapsed.TotalSeconds;
        var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return (wall, used, GC.GetTotalMemory(true) - before);
    }

    private static void MeasureVideo(int videos, int framesPerVideo, TextWriter o)
    {
        var random = new Random(7);
        var list = new HashList("videos", HashListKind.Known);
        var words = new ulong[4];
        var frames = new List<VpdqFrame>(framesPerVideo);
        for (var v = 0; v < videos; v++)
        {
            frames.Clear();
            for (var f = 0; f < framesPerVideo; f++)
            {
                for (var w = 0; w < 4; w++)
                {
                    words[w] = (ulong)random.NextInt64();
                }

                frames.Add(new VpdqFrame(f, 100, PdqHash.FromWords(words), f));
            }

            list.Add(new HashListEntry(SignalTypes.Vpdq, VideoListIndex.FormatValue(frames)) { Label = $"video-{v}" });
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var before = GC.GetTotalMemory(true);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var index = new VideoListIndex([list]);
        var wall = watch.Elapsed.TotalSeconds;
        var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var bytes = GC.GetTotalMemory(true) - before;
        var query = new VideoHash { Frames = VideoListIndex.ParseFrames(list.EntriesOf(SignalTypes.Vpdq)[0].Value) };
        var found = index.Match(query);
        if (found.Count != 1 || found[0].Entry.Label != "video-0")
        {
            throw new InvalidOperationException("the first video's own frames did not find it alone");
        }

        var total = (long)videos * framesPerVideo;
        o.WriteLine(FormattableString.Invariant($"video frame index: {videos} vPDQ entries x {framesPerVideo} frames: built from the list in wall s {wall:F2}  CPU s {used:F2}  managed B/frame {bytes / (double)total:F1}"));
        GC.KeepAlive(list);
    }

    /// <summary>A migrated store holding <paramref name="files"/> processed files (4 per report), written straight into its tables.</summary>
    private static async Task GenerateAsync(string db, int files, CancellationToken ct)
    {
        await using (var store = new SqliteNeedleStore(db, new SqliteStoreOptions()))
        {
            await store.MigrateAsync(ct).ConfigureAwait(false);
        }

        using var connection = new SqliteConnection($"Data Source={db}");
        connection.Open();
        var random = new Random(42);
        var bytes = new byte[32];
        var reportId = "";
        var transaction = connection.BeginTransaction();
        using var report = connection.CreateCommand();
        report.CommandText = "INSERT INTO reports (id, submission, status, escalate, received_at, submitted_by, file_count) VALUES ($id, '{}', 2, 0, $at, 'load-test', 4);";
        var reportIdParameter = report.Parameters.Add("$id", SqliteType.Text);
        var receivedAt = report.Parameters.Add("$at", SqliteType.Integer);
        using var file = connection.CreateCommand();
        file.CommandText = "INSERT INTO files (id, report_id, ordinal, size, has_media, state, pdq, pdq_quality, media_seq) VALUES ($id, $report, $ordinal, 1000, 1, 1, $pdq, 100, $seq);";
        var fileId = file.Parameters.Add("$id", SqliteType.Text);
        var fileReport = file.Parameters.Add("$report", SqliteType.Text);
        var ordinal = file.Parameters.Add("$ordinal", SqliteType.Integer);
        var pdq = file.Parameters.Add("$pdq", SqliteType.Text);
        var sequence = file.Parameters.Add("$seq", SqliteType.Integer);
        for (var i = 0; i < files; i++)
        {
            report.Transaction = transaction;
            file.Transaction = transaction;
            if (i % 4 == 0)
            {
                reportId = Guid.CreateVersion7().ToString("D", CultureInfo.InvariantCulture);
                reportIdParameter.Value = reportId;
                receivedAt.Value = 638_000_000_000_000_000L + i;
                report.ExecuteNonQuery();
            }

            random.NextBytes(bytes);
            fileId.Value = Guid.CreateVersion7().ToString("D", CultureInfo.InvariantCulture);
            fileReport.Value = reportId;
            ordinal.Value = i % 4;
            pdq.Value = Convert.ToHexStringLower(bytes);
            sequence.Value = i + 1;
            file.ExecuteNonQuery();
            if (i % 100_000 == 99_999)
            {
                transaction.Commit();
                transaction.Dispose();
                transaction = connection.BeginTransaction();
            }
        }

        transaction.Commit();
        transaction.Dispose();
    }
}
