using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Storage.Sqlite;
using Needle.Storage.Tests.Contracts;

namespace Needle.Storage.Tests.Sqlite;

/// <summary>What is particular to the SQLite backend: the file, its settings, its migrations.</summary>
public sealed class SqliteStoreTests : IAsyncLifetime
{
    private readonly SqliteTestDatabase _database = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _database.DeleteAsync();

    private SqliteNeedleStore Open() => _database.Open(new StoreTestOptions(_time, 5));

    [Fact]
    public async Task A_fresh_file_is_created_in_WAL_mode_at_the_latest_version()
    {
        await using (var store = Open())
        {
            Assert.False(await store.IsHealthyAsync());
            await store.MigrateAsync();
            Assert.True(await store.IsHealthyAsync());
        }

        Assert.True(File.Exists(_database.FilePath));
        Assert.Equal((long)SqliteNeedleStore.SchemaVersion, await _database.ScalarAsync("PRAGMA user_version;"));
        Assert.Equal("wal", await _database.ScalarAsync("PRAGMA journal_mode;"));
    }

    [Fact]
    public async Task Migrating_again_and_reopening_keeps_the_data()
    {
        var report = TestData.SmallReport(_time.GetUtcNow());
        await using (var store = Open())
        {
            await store.MigrateAsync();
            await store.MigrateAsync();
            await store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));
        }

        await using (var store = Open())
        {
            await store.MigrateAsync();
            Assert.NotNull(await store.Reports.GetAsync(report.Id));
            Assert.Equal("ok", await store.CheckIntegrityAsync());
        }
    }

    [Fact]
    public async Task A_version_1_file_is_upgraded_keeping_its_reports()
    {
        // A file as the first schema left it (migration 1 replayed alone), holding a processed report.
        var reportId = Guid.NewGuid();
        var fileId = Guid.NewGuid();
        var received = _time.GetUtcNow().AddDays(-1);
        await _database.ExecuteAsync(Migrations.Steps[0] + "PRAGMA user_version = 1;");
        await _database.ExecuteAsync(
            """
            INSERT INTO reports (id, external_id, submission, status, escalate, received_at, processed_at, submitted_by, file_count)
            VALUES (@id, 'old-1', '{"externalId":"old-1","files":[{"part":"f","originalName":"old.jpg"}]}', 1, 0, @at, @at, @by, 1);
            INSERT INTO files (id, report_id, ordinal, original_name, size, has_media, state, md5)
            VALUES (@file, @id, 0, 'old.jpg', 10, 0, 1, 'd41d8cd98f00b204e9800998ecf8427e');
            """,
            ("@id", reportId.ToString("D")), ("@file", fileId.ToString("D")), ("@at", received.UtcTicks), ("@by", TestData.SubmitterKey.ToString("D")));
        Assert.Equal(1L, await _database.ScalarAsync("PRAGMA user_version;"));

        await using var store = Open();
        await store.MigrateAsync();
        Assert.Equal((long)SqliteNeedleStore.SchemaVersion, await _database.ScalarAsync("PRAGMA user_version;"));
        Assert.True(SqliteNeedleStore.SchemaVersion >= 2);
        Assert.Equal(1L, await _database.ScalarAsync("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'reports_by_jurisdiction';"));
        Assert.Equal("ok", await store.CheckIntegrityAsync());

        // The old report reads back, without clues or jurisdiction (it was processed before they existed).
        var old = await store.Reports.GetAsync(reportId);
        Assert.NotNull(old);
        Assert.Equal("old-1", old.Submission.ExternalId);
        Assert.Null(old.Jurisdiction);
        var file = Assert.Single(old.Files);
        Assert.Equal("d41d8cd98f00b204e9800998ecf8427e", file.Md5);
        Assert.Null(file.Clues);
        Assert.Empty((await store.Reports.ListAsync(new ReportQuery { JurisdictionQueue = "international" })).Items);

        // New reports get theirs.
        var report = TestData.SmallReport(_time.GetUtcNow());
        await store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));
        var job = await store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(1));
        Assert.True(await store.Jobs.CompleteReportAsync(job!, TestData.Results(report), TestData.Jurisdiction("international", null), CancellationToken.None));
        Assert.Equal(report.Id, Assert.Single((await store.Reports.ListAsync(new ReportQuery { JurisdictionQueue = "international" })).Items).Id);
        Assert.Equal(2, (await store.Reports.ListAsync(new ReportQuery())).Items.Count);
    }

    [Fact]
    public async Task A_file_from_before_triage_is_upgraded_with_reporter_organisations_backfilled()
    {
        // The file as the steps before triage left it, holding a processed report of an organisation.
        var triageStep = Migrations.Steps.Select((sql, i) => (sql, i)).First(step => step.sql.Contains("CREATE TABLE report_links", StringComparison.Ordinal)).i;
        await _database.ExecuteAsync(string.Concat(Migrations.Steps.Take(triageStep)) + $"PRAGMA user_version = {triageStep};");
        var reportId = Guid.NewGuid();
        await _database.ExecuteAsync(
            """
            INSERT INTO reports (id, external_id, submission, status, escalate, received_at, processed_at, submitted_by, file_count)
            VALUES (@id, 'old-2', '{"externalId":"old-2","reporter":{"organisation":"Old Platform"}}', 1, 0, @at, @at, @by, 0);
            """,
            ("@id", reportId.ToString("D")), ("@at", _time.GetUtcNow().UtcTicks), ("@by", TestData.SubmitterKey.ToString("D")));

        await using var store = Open();
        await store.MigrateAsync();
        Assert.Equal((long)SqliteNeedleStore.SchemaVersion, await _database.ScalarAsync("PRAGMA user_version;"));
        Assert.Equal("ok", await store.CheckIntegrityAsync());

        // Untriaged, unscored, open, and found by its organisation.
        Assert.Null(await store.Triage.GetScoreAsync(reportId));
        Assert.Equal([reportId], await store.Triage.ListOpenReportsAsync(null, 10));
        var item = Assert.Single((await store.Triage.QueueAsync(new QueueQuery { State = ReviewState.Untriaged, Reporter = "old platform" }, _time.GetUtcNow())).Items);
        Assert.Equal(("Old Platform", ReviewState.Untriaged), (item.ReporterOrganisation, item.Score.State));
    }

    [Fact]
    public async Task Robust_features_stored_before_copies_shared_them_keep_their_sequence_and_are_found_by_SHA_256()
    {
        // The file as the steps before shared features left it: one processed image with its features.
        var sharedStep = Migrations.Steps.Select((sql, i) => (sql, i)).First(step => step.sql.Contains("CREATE TABLE robust_features_shared", StringComparison.Ordinal)).i;
        await _database.ExecuteAsync(string.Join("\n", Migrations.Steps.Take(sharedStep)) + $"\nPRAGMA user_version = {sharedStep};");
        var (report, file, copy) = (Guid.NewGuid().ToString("D"), Guid.NewGuid().ToString("D"), Guid.NewGuid().ToString("D"));
        var at = _time.GetUtcNow().UtcTicks;
        var sha256 = new string('c', 64);
        await _database.ExecuteAsync(
            """
            INSERT INTO reports (id, external_id, submission, status, escalate, received_at, processed_at, submitted_by, file_count) VALUES (@r, 'old', '{}', 2, 0, @at, @at, @by, 2);
            INSERT INTO files (id, report_id, ordinal, size, has_media, state, sha256) VALUES (@f, @r, 0, 10, 1, 1, @sha), (@c, @r, 1, 10, 1, 1, @sha);
            INSERT INTO robust_features (seq, file_id, report_id, descriptor, features, created_at) VALUES (41, @f, @r, X'01020304', 'r1.AAAA', @at);
            """,
            ("@r", report), ("@f", file), ("@c", copy), ("@at", at), ("@by", TestData.SubmitterKey.ToString("D")), ("@sha", sha256));

        await using var store = Open();
        await store.MigrateAsync();
        Assert.Equal((long)SqliteNeedleStore.SchemaVersion, await _database.ScalarAsync("PRAGMA user_version;"));
        Assert.Equal("ok", await store.CheckIntegrityAsync());

        Assert.Equal(Guid.Parse(file), await store.Robust.FindBySha256Async(sha256));
        Assert.Equal("r1.AAAA", await store.Robust.GetFeaturesAsync(Guid.Parse(file)));
        Assert.Equal(41, Assert.Single(await store.Robust.ReadDescriptorsAsync(0, 10)).Sequence);

        // Sequences go on after the kept ones, and a copy refers to the old row.
        Assert.True(await store.Robust.SaveCopyAsync(Guid.Parse(copy), Guid.Parse(report), Guid.Parse(file)));
        var rows = await store.Robust.ReadDescriptorsAsync(0, 10);
        Assert.Equal((42L, Guid.Parse(copy)), (rows[1].Sequence, rows[1].FileId));
        Assert.Equal(rows[0].Descriptor, rows[1].Descriptor);
    }

    [Fact]
    public async Task Pairwise_links_become_clusters_and_reports_with_media_links_are_triaged_again()
    {
        // The file as the steps before link clusters left it: three reports sharing an email, two sharing an image.
        var clusterStep = Migrations.Steps.Select((sql, i) => (sql, i)).First(step => step.sql.Contains("CREATE TABLE link_clusters", StringComparison.Ordinal)).i;
        await _database.ExecuteAsync(string.Join("\n", Migrations.Steps.Take(clusterStep)) + $"\nPRAGMA user_version = {clusterStep};");
        var ids = Enumerable.Range(0, 3).Select(_ => Guid.NewGuid().ToString("D")).Order(StringComparer.Ordinal).ToArray();
        var at = _time.GetUtcNow().UtcTicks;
        foreach (var id in ids)
        {
            await _database.ExecuteAsync(
                "INSERT INTO reports (id, external_id, submission, status, escalate, received_at, processed_at, submitted_by, file_count) VALUES (@id, 'old', '{}', 1, 0, @at, @at, @by, 0);",
                ("@id", id), ("@at", at), ("@by", TestData.SubmitterKey.ToString("D")));
        }

        await _database.ExecuteAsync(
            """
            INSERT INTO report_links (report_a, report_b, kind, value, created_at) VALUES (@a, @b, 3, 'x@example.net', @at), (@a, @c, 3, 'x@example.net', @at), (@b, @c, 3, 'x@example.net', @at);
            INSERT INTO report_links (report_a, report_b, kind, value, created_at) VALUES (@a, @b, 0, 'sha256:aa', @at);
            """,
            ("@a", ids[0]), ("@b", ids[1]), ("@c", ids[2]), ("@at", at));

        await using var store = Open();
        await store.MigrateAsync();
        Assert.Equal((long)SqliteNeedleStore.SchemaVersion, await _database.ScalarAsync("PRAGMA user_version;"));
        Assert.Equal("ok", await store.CheckIntegrityAsync());

        // The email is one cluster of three members, still read as links with their reason; the pairwise table is gone.
        Assert.Equal(1L, await _database.ScalarAsync("SELECT COUNT(*) FROM link_clusters;"));
        Assert.Equal(3L, await _database.ScalarAsync("SELECT COUNT(*) FROM link_members;"));
        Assert.Equal(0L, await _database.ScalarAsync("SELECT COUNT(*) FROM sqlite_master WHERE name = 'report_links';"));
        var links = await store.Triage.GetLinksAsync(Guid.Parse(ids[0]));
        Assert.Equal([ids[1], ids[2]], links.Select(l => l.OtherReportId.ToString("D")).Order(StringComparer.Ordinal));
        Assert.All(links, l => Assert.Equal((LinkKind.Email, "x@example.net"), (l.Kind, l.Value)));

        // The two reports with a media link are triaged again, to put their files in a media cluster.
        var jobs = new List<Guid>();
        while (await store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(1)) is { } job)
        {
            Assert.Equal(JobKinds.TriageReport, job.Kind);
            jobs.Add(job.SubjectId);
        }

        Assert.Equal([ids[0], ids[1]], jobs.Select(j => j.ToString("D")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_file_from_a_newer_version_is_refused()
    {
        await using (var store = Open())
        {
            await store.MigrateAsync();
        }

        await _database.ExecuteAsync($"PRAGMA user_version = {SqliteNeedleStore.SchemaVersion + 1};");
        await using (var store = Open())
        {
            var error = await Assert.ThrowsAsync<NewerSchemaException>(() => store.MigrateAsync());
            Assert.Equal(SqliteNeedleStore.SchemaVersion + 1, error.DatabaseVersion);
            Assert.Contains("newer", error.Message, StringComparison.Ordinal);
            Assert.False(await store.IsHealthyAsync());
        }

        Assert.Equal((long)SqliteNeedleStore.SchemaVersion + 1, await _database.ScalarAsync("PRAGMA user_version;"));
    }

    [Fact]
    public async Task The_audit_table_refuses_updates_and_deletes()
    {
        await using var store = Open();
        await store.MigrateAsync();
        await store.Audit.AppendAsync(new AuditEntryDraft("cli", "list.create", "list/x", null, null));

        var update = await Assert.ThrowsAsync<SqliteException>(() => _database.ExecuteAsync("UPDATE audit SET actor = 'x';"));
        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<SqliteException>(() => _database.ExecuteAsync("DELETE FROM audit;"));
        Assert.True((await AuditChain.VerifyAsync(store.Audit)).IsIntact);
    }

    [Fact]
    public async Task Connections_use_full_sync_and_foreign_keys()
    {
        await using var store = Open();
        await store.MigrateAsync();

        // A file row for a report that does not exist breaks a foreign key.
        var report = TestData.SmallReport(_time.GetUtcNow());
        await store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));
        var job = await store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(1));
        Assert.NotNull(job);
        await Assert.ThrowsAnyAsync<Exception>(() => store.Jobs.CompleteReportAsync(job, [new FileResult { FileId = Guid.NewGuid(), State = FileState.Hashed }]));
        Assert.Equal("ok", await store.CheckIntegrityAsync());
        Assert.Equal(0L, await _database.ScalarAsync("PRAGMA foreign_key_check;") ?? 0L);
    }

    [Fact]
    public async Task A_busy_workload_leaves_an_intact_file()
    {
        await using (var store = Open())
        {
            await store.MigrateAsync();
            var reports = Enumerable.Range(0, 60).Select(i => TestData.Report(_time.GetUtcNow().AddTicks(i), mediaSize: 4096)).ToList();
            await Task.WhenAll(reports.Select(r => Task.Run(() => store.Reports.SubmitAsync(r, TestData.SubmitAudit(r)))));
            while (await store.Jobs.TryLeaseAsync("w", TimeSpan.FromMinutes(1)) is { } job)
            {
                if (job.Kind != JobKinds.ProcessReport)
                {
                    continue;
                }

                var report = reports.Single(r => r.Id == job.SubjectId);
                Assert.True(await store.Jobs.CompleteReportAsync(job, TestData.Results(report, TestData.Match("known"))));
            }

            Assert.Equal("ok", await store.CheckIntegrityAsync());
        }

        // After a clean close the WAL was checkpointed into the main file.
        var wal = _database.FilePath + "-wal";
        Assert.True(!File.Exists(wal) || new FileInfo(wal).Length == 0);
        Assert.Equal("ok", await _database.ScalarAsync("PRAGMA integrity_check;"));
        Assert.Equal(60L, await _database.ScalarAsync("SELECT COUNT(*) FROM reports WHERE status = 1;"));
    }

    [Fact]
    public async Task A_cancelled_write_is_not_made_and_a_disposed_store_takes_no_writes()
    {
        var store = Open();
        await store.MigrateAsync();
        var report = TestData.SmallReport(_time.GetUtcNow());
        using (var cancelled = new CancellationTokenSource())
        {
            await cancelled.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.Reports.SubmitAsync(report, TestData.SubmitAudit(report), cancelled.Token));
        }

        Assert.Null(await store.Reports.GetAsync(report.Id));
        await store.DisposeAsync();
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.Audit.AppendAsync(new AuditEntryDraft("cli", "x", "y", null, null)));
    }

    [Fact]
    public async Task Writes_committed_one_by_one_behave_the_same()
    {
        await using var store = new SqliteNeedleStore(_database.FilePath, new SqliteStoreOptions { TimeProvider = _time, MaxWriteGroupSize = 1 });
        await store.MigrateAsync();
        var reports = Enumerable.Range(0, 20).Select(i => TestData.SmallReport(_time.GetUtcNow().AddTicks(i))).ToList();
        await Task.WhenAll(reports.Select(r => Task.Run(() => store.Reports.SubmitAsync(r, TestData.SubmitAudit(r)))));
        Assert.Equal(20, await store.Jobs.CountOpenAsync());
        Assert.True((await AuditChain.VerifyAsync(store.Audit)).IsIntact);
    }

    [Fact]
    public async Task An_acknowledged_write_is_in_the_files_on_disk_before_any_shutdown()
    {
        var report = TestData.Report(_time.GetUtcNow());
        var copy = Path.Combine(_database.Folder, "copy");
        Directory.CreateDirectory(copy);
        await using (var store = Open())
        {
            await store.MigrateAsync();

            // A connection of the test's own keeps the WAL open: another test clearing the connection pools could
            // otherwise close the store's last connection, which checkpoints and deletes the WAL as a clean close
            // does, and a power cut leaves no such thing.
            await using var holder = new SqliteConnection($"Data Source={_database.FilePath};Pooling=False");
            await holder.OpenAsync();
            await using (var read = holder.CreateCommand())
            {
                read.CommandText = "SELECT COUNT(*) FROM sqlite_master;";
                await read.ExecuteScalarAsync();
            }

            await store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));

            // As after a power cut: the files as they are now, with no checkpoint or close.
            foreach (var suffix in new[] { string.Empty, "-wal" })
            {
                File.Copy(_database.FilePath + suffix, Path.Combine(copy, "needle.db" + suffix));
            }
        }

        await using var recovered = new SqliteNeedleStore(Path.Combine(copy, "needle.db"), new SqliteStoreOptions { TimeProvider = _time });
        await recovered.MigrateAsync();
        var stored = await recovered.Reports.GetAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(report.Files[0].EncryptedMedia, (await recovered.Reports.GetMediaAsync(report.Files[0].Id))!.EncryptedBytes);
        Assert.Equal("ok", await recovered.CheckIntegrityAsync());
    }

    [Fact]
    public async Task Two_stores_on_one_file_never_lease_the_same_job()
    {
        await using var first = Open();
        await using var second = Open();
        await first.MigrateAsync();
        await second.MigrateAsync();
        for (var i = 0; i < 30; i++)
        {
            var report = TestData.SmallReport(_time.GetUtcNow(), files: 0);
            await (i % 2 == 0 ? first : second).Reports.SubmitAsync(report, TestData.SubmitAudit(report));
        }

        var leased = new System.Collections.Concurrent.ConcurrentBag<long>();
        await Task.WhenAll(new[] { first, second, first, second }.Select((store, w) => Task.Run(async () =>
        {
            while (await store.Jobs.TryLeaseAsync("worker-" + w, TimeSpan.FromMinutes(1)) is { } job)
            {
                leased.Add(job.Id);
            }
        })));

        Assert.Equal(30, leased.Count);
        Assert.Equal(30, leased.Distinct().Count());
        Assert.True((await AuditChain.VerifyAsync(first.Audit)).IsIntact);
    }
}
