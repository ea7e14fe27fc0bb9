using Needle.Core.Audit;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Storage.Postgres;
using Needle.Storage.Tests.Contracts;
using Needle.Testing.Postgres;
using Npgsql;

namespace Needle.Storage.Tests.Postgres;

/// <summary>The triage contract, run against a real PostgreSQL server: a fresh database per test.</summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresTriageStoreTests(PostgresServer server) : TriageStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();

    protected override async Task<long> CountRowsAsync(string table) => Convert.ToInt64(await _database.ScalarAsync($"SELECT COUNT(*) FROM {table};"), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_follower_never_reads_past_a_media_sequence_still_being_written()
    {
        // Writer 1 takes a sequence and does not commit yet (as a report completion in flight does: the shared lock,
        // then nextval). Writer 2, the store, takes the next sequence and commits first.
        var slow = await SubmittedAsync();
        await using var writer = new NpgsqlConnection(_database.ConnectionString);
        await writer.OpenAsync();
        await using var transaction = await writer.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock_shared(@key);", writer, transaction))
        {
            hold.Parameters.AddWithValue("key", Migrations.MediaSequenceLockKey);
            await hold.ExecuteNonQueryAsync();
        }

        await using (var update = new NpgsqlCommand("UPDATE files SET state = 1, pdq = @pdq, pdq_quality = 80, media_seq = nextval('files_media_seq') WHERE id = @id;", writer, transaction))
        {
            update.Parameters.AddWithValue("pdq", new string('5', 64));
            update.Parameters.AddWithValue("id", slow.Files[0].Id);
            Assert.Equal(1, await update.ExecuteNonQueryAsync());
        }

        var fast = await ProcessedAsync([Sha('f')], pdqs: [new string('6', 64)]);

        // The follower waits for writer 1 instead of returning the later sequence alone.
        var read = Store.Triage.ReadMediaHashesAsync(0, 100);
        await WaitForAdvisoryLockWaiterAsync();
        Assert.False(read.IsCompleted);
        await transaction.CommitAsync();

        var rows = await read;
        Assert.Equal([slow.Files[0].Id, fast.Files[0].Id], rows.Select(r => r.FileId));
        Assert.True(rows[0].Sequence < rows[1].Sequence);
    }

    [Fact]
    public async Task Concurrent_decisions_on_one_file_form_one_history()
    {
        var report = await ProcessedAsync([Sha('a')]);
        var fileId = report.Files[0].Id;
        await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => Store.Triage.DecideAsync(
            [new NewDecision { FileId = fileId, Category = (DecisionCategory)(i % 5), Source = DecisionSource.Analyst, Actor = "reviewer-" + i, At = Time.GetUtcNow() }],
            new AuditEntryDraft("reviewer-" + i, "decision.record", $"file/{fileId}", null, null)))));

        // Each decision revises the one before it: a chain, not a fork.
        var history = await Store.Triage.GetDecisionHistoryAsync(fileId);
        Assert.Equal(12, history.Count);
        Assert.Null(history[0].Revises);
        for (var i = 1; i < history.Count; i++)
        {
            Assert.Equal(history[i - 1].Id, history[i].Revises);
        }

        Assert.Equal(history[^1].Id, (await Store.Triage.GetCurrentDecisionsAsync(report.Id))[fileId].Id);
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }

    [Fact]
    public async Task Concurrent_decisions_on_the_same_files_in_opposite_orders_all_commit()
    {
        var first = await ProcessedAsync([Sha('a'), Sha('b')]);
        var second = await ProcessedAsync([Sha('c')]);
        Guid[] files = [first.Files[0].Id, first.Files[1].Id, second.Files[0].Id];
        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() =>
        {
            var order = i % 2 == 0 ? files : files.Reverse().ToArray();
            return Store.Triage.DecideAsync(
                [.. order.Select(f => new NewDecision { FileId = f, Category = DecisionCategory.NonPertinent, Source = DecisionSource.Analyst, Actor = "reviewer-" + i, At = Time.GetUtcNow() })],
                new AuditEntryDraft("reviewer-" + i, "decision.record", "files", null, null));
        })));

        foreach (var file in files)
        {
            Assert.Equal(16, (await Store.Triage.GetDecisionHistoryAsync(file)).Count);
        }

        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }

    [Fact]
    public async Task Concurrent_claims_grant_one_claimant()
    {
        var report = await ProcessedAsync([Sha('a')]);
        var now = Time.GetUtcNow();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Store.Triage.TryClaimAsync(report.Id, "analyst-" + i, now, now.AddMinutes(10), ClaimAudit("analyst-" + i)))));

        var granted = Assert.Single(results, r => r!.Value.Granted);
        Assert.All(results, r => Assert.Equal(granted!.Value.Claim, r!.Value.Claim));
    }

    private async Task<NewReport> SubmittedAsync()
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 1);
        await SubmitAsync(report);
        return report;
    }

    private async Task WaitForAdvisoryLockWaiterAsync()
    {
        for (var i = 0; i < 600; i++)
        {
            if (await _database.ScalarAsync("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted;") is long waiting && waiting > 0)
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The follower never waited for the media sequence lock.");
    }
}
