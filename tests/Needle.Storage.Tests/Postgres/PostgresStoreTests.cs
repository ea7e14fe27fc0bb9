using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Lists;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Matching.Lists;
using Needle.Storage.Postgres;
using Needle.Storage.Tests.Contracts;
using Needle.Testing.Postgres;
using Npgsql;

namespace Needle.Storage.Tests.Postgres;

/// <summary>What is particular to the PostgreSQL backend: migrations from many processes, locks, triggers.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresStoreTests(PostgresServer server) : IAsyncLifetime
{
    private readonly PostgresTestDatabase _database = new(server);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(7));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _database.DeleteAsync();

    private PostgresNeedleStore Open() => _database.Open(new StoreTestOptions(_time, 5));

    [Fact]
    public async Task A_fresh_database_is_migrated_to_the_latest_version()
    {
        await using var store = Open();
        Assert.False(await store.IsHealthyAsync());
        await store.MigrateAsync();
        Assert.True(await store.IsHealthyAsync());
        Assert.Equal(PostgresNeedleStore.SchemaVersion, await _database.ScalarAsync("SELECT version FROM schema_version;"));
        Assert.Equal(1L, await _database.ScalarAsync("SELECT COUNT(*) FROM schema_version;"));
        Assert.Contains("PostgreSQL", store.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Many_processes_migrating_at_once_apply_each_step_once()
    {
        var stores = Enumerable.Range(0, 8).Select(_ => Open()).ToList();
        try
        {
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync())));
            Assert.All(await Task.WhenAll(stores.Select(s => s.IsHealthyAsync())), Assert.True);
            Assert.Equal(PostgresNeedleStore.SchemaVersion, await _database.ScalarAsync("SELECT version FROM schema_version;"));

            // And again, as every restart does: nothing to do, nothing lost.
            var report = TestData.SmallReport(_time.GetUtcNow());
            await stores[0].Reports.SubmitAsync(report, TestData.SubmitAudit(report));
            await Task.WhenAll(stores.Select(s => Task.Run(() => s.MigrateAsync())));
            Assert.NotNull(await stores[7].Reports.GetAsync(report.Id));
        }
        finally
        {
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_database_from_before_triage_is_upgraded_with_reporter_organisations_backfilled()
    {
        // The database as the steps before triage left it, holding a processed report of an organisation.
        var triageStep = Migrations.Steps.Select((sql, i) => (sql, i)).First(step => step.sql.Contains("CREATE TABLE report_links", StringComparison.Ordinal)).i;
        await _database.ExecuteAsync(
            string.Concat(Migrations.Steps.Take(triageStep)) + """
            CREATE TABLE schema_version (one boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (one), version integer NOT NULL);
            INSERT INTO schema_version (version) VALUES (@version);
            """,
            ("version", triageStep));
        var reportId = Guid.NewGuid();
        await _database.ExecuteAsync(
            """
            INSERT INTO reports (id, external_id, submission, status, escalate, received_at, processed_at, submitted_by, file_count)
            VALUES (@id, 'old-2', '{"externalId":"old-2","reporter":{"organisation":"Old Platform"}}', 1, false, @at, @at, @by, 0);
            """,
            ("id", reportId), ("at", _time.GetUtcNow().UtcTicks), ("by", TestData.SubmitterKey));

        await using var store = Open();
        await store.MigrateAsync();
        Assert.Equal(PostgresNeedleStore.SchemaVersion, await _database.ScalarAsync("SELECT version FROM schema_version;"));

        // Untriaged, unscored, open, and found by its organisation.
        Assert.Null(await store.Triage.GetScoreAsync(reportId));
        Assert.Equal([reportId], await store.Triage.ListOpenReportsAsync(null, 10));
        var item = Assert.Single((await store.Triage.QueueAsync(new QueueQuery { State = ReviewState.Untriaged, Reporter = "old platform" }, _time.GetUtcNow())).Items);
        Assert.Equal(("Old Platform", ReviewState.Untriaged), (item.ReporterOrganisation, item.Score.State));
    }

    [Fact]
    public async Task A_database_from_a_newer_version_is_refused()
    {
        await using (var store = Open())
        {
            await store.MigrateAsync();
        }

        await _database.ExecuteAsync("UPDATE schema_version SET version = @version;", ("version", PostgresNeedleStore.SchemaVersion + 1));
        await using (var store = Open())
        {
            var error = await Assert.ThrowsAsync<NewerSchemaException>(() => store.MigrateAsync());
            Assert.Equal(PostgresNeedleStore.SchemaVersion + 1, error.DatabaseVersion);
            Assert.Contains("newer", error.Message, StringComparison.Ordinal);
            Assert.False(await store.IsHealthyAsync());
        }

        Assert.Equal(PostgresNeedleStore.SchemaVersion + 1, await _database.ScalarAsync("SELECT version FROM schema_version;"));
    }

    [Fact]
    public async Task The_audit_table_refuses_updates_deletes_and_truncation()
    {
        await using var store = Open();
        await store.MigrateAsync();
        await store.Audit.AppendAsync(new AuditEntryDraft("cli", "list.create", "list/x", null, null));

        var update = await Assert.ThrowsAsync<PostgresException>(() => _database.ExecuteAsync("UPDATE audit SET actor = 'x';"));
        Assert.Contains("append-only", update.MessageText, StringComparison.Ordinal);
        await Assert.ThrowsAsync<PostgresException>(() => _database.ExecuteAsync("DELETE FROM audit;"));
        await Assert.ThrowsAsync<PostgresException>(() => _database.ExecuteAsync("TRUNCATE audit;"));
        Assert.True((await AuditChain.VerifyAsync(store.Audit)).IsIntact);
        Assert.Single(await store.Audit.ReadAsync(0, 10));
    }

    [Fact]
    public async Task Two_stores_on_one_database_never_lease_the_same_job_nor_fork_the_chain()
    {
        await using var first = Open();
        await using var second = Open();
        await Task.WhenAll(first.MigrateAsync(), second.MigrateAsync());
        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? first : second;
            var report = TestData.SmallReport(_time.GetUtcNow(), files: 1);
            await store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));
            await store.Audit.AppendAsync(new AuditEntryDraft("key-" + i, "media.read", "file/" + i, null, null));
        })));

        var leased = new ConcurrentBag<LeasedJob>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
        {
            var store = w % 2 == 0 ? first : second;
            while (await store.Jobs.TryLeaseAsync("worker-" + w, TimeSpan.FromMinutes(5)) is { } job)
            {
                leased.Add(job);
            }
        })));

        Assert.Equal(40, leased.Count);
        Assert.Equal(40, leased.Select(j => j.Id).Distinct().Count());
        var verification = await AuditChain.VerifyAsync(second.Audit);
        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(80, verification.EntriesChecked);
    }

    [Fact]
    public async Task Racing_submissions_with_one_idempotency_key_store_one_report()
    {
        await using var first = Open();
        await using var second = Open();
        await first.MigrateAsync();
        var reports = Enumerable.Range(0, 10).Select(_ => TestData.SmallReport(_time.GetUtcNow(), idempotencyKey: "same-key")).ToList();
        var results = await Task.WhenAll(reports.Select((r, i) => Task.Run(() => (i % 2 == 0 ? first : second).Reports.SubmitAsync(r, TestData.SubmitAudit(r)))));

        var created = Assert.Single(results, r => r.Created);
        Assert.All(results, r => Assert.Equal(created.ReportId, r.ReportId));
        Assert.Equal(1, await first.Jobs.CountOpenAsync());
        Assert.Single(await first.Audit.ReadAsync(0, 100));
    }

    [Fact]
    public async Task Instants_keep_every_tick_and_documents_are_jsonb()
    {
        await using var store = Open();
        await store.MigrateAsync();
        var report = TestData.Report(_time.GetUtcNow().AddTicks(3));
        await store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));

        Assert.Equal(report.ReceivedAt, (await store.Reports.GetAsync(report.Id))!.ReceivedAt);
        Assert.Equal(_time.GetUtcNow(), Assert.Single(await store.Audit.ReadAsync(0, 10)).At);
        Assert.Equal("jsonb", await _database.ScalarAsync("SELECT pg_typeof(submission)::text FROM reports;"));
        Assert.Equal("esp-4711", await _database.ScalarAsync("SELECT submission ->> 'externalId' FROM reports;"));
    }

    [Fact]
    public async Task List_entries_have_no_foreign_key_and_are_deleted_with_their_list()
    {
        await using var store = Open();
        await store.MigrateAsync();

        // Migration 19: the foreign key's per-row check was most of the database's cost of a list import.
        Assert.Equal(0L, await _database.ScalarAsync("SELECT COUNT(*) FROM pg_constraint WHERE conrelid = 'list_entries'::regclass AND contype = 'f';"));

        foreach (var name in new[] { "vics", "other" })
        {
            Assert.True(await store.Lists.CreateListAsync(new StoredList(name, HashListKind.Known, 31, 1800.5, _time.GetUtcNow()), TestData.AdminAudit("list.create", "list/" + name)));
            await store.Lists.AddEntriesAsync(
                name, [new HashListEntry(SignalTypes.Md5, new string('a', 32)), new HashListEntry(SignalTypes.Md5, new string('b', 32))], TestData.EntriesAudit);
        }

        Assert.Equal(4L, await _database.ScalarAsync("SELECT COUNT(*) FROM list_entries;"));
        Assert.True(await store.Lists.DeleteListAsync("vics", TestData.AdminAudit("list.delete", "list/vics")));

        // The deleted list's rows are gone (the store deletes them now that nothing cascades); the other list's stay.
        Assert.Equal(2L, await _database.ScalarAsync("SELECT COUNT(*) FROM list_entries;"));
        Assert.Equal(2, (await store.Lists.GetEntriesAsync("other")).Count);
    }

    [Fact]
    public async Task A_disposed_store_takes_no_writes()
    {
        var store = Open();
        await store.MigrateAsync();
        await store.DisposeAsync();
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.Audit.AppendAsync(new AuditEntryDraft("cli", "x", "y", null, null)));
    }
}
