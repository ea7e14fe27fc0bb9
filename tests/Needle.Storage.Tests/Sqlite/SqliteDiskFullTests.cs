using Microsoft.Extensions.Time.Testing;
using Needle.Core.Storage;
using Needle.Storage.Sqlite;
using Needle.Storage.Tests.Contracts;

namespace Needle.Storage.Tests.Sqlite;

/// <summary>
/// A full disk, on a real SQLite file: a page limit (<c>max_page_count</c>) makes SQLite answer SQLITE_FULL exactly as
/// a full disk does. Every write that does not fit fails with <see cref="StorageFullException"/> (never a stale
/// transaction's error), nothing committed before is lost, and writes succeed again once space returns.
/// </summary>
public sealed class SqliteDiskFullTests : IAsyncLifetime
{
    private readonly SqliteTestDatabase _database = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _database.DeleteAsync();

    [Fact]
    public async Task A_full_database_refuses_writes_clearly_keeps_what_it_had_and_recovers_when_space_returns()
    {
        // A migrated file with 1 MB of filler an operator can free later; then capped a little above its size (room for a few reports).
        await using (var plain = _database.Open(new StoreTestOptions(_time, 5)))
        {
            await plain.MigrateAsync();
        }

        await _database.ExecuteAsync("CREATE TABLE filler (b BLOB); INSERT INTO filler VALUES (zeroblob(1048576));");
        var pages = (long)(await _database.ScalarAsync("PRAGMA page_count;"))!;

        var accepted = new List<Guid>();
        var refusals = new List<Exception>();
        await using (var store = new SqliteNeedleStore(_database.FilePath, new SqliteStoreOptions { TimeProvider = _time, MaxPageCount = pages + 64 }))
        {
            // Concurrent writes so failures land inside write groups holding other writes.
            for (var round = 0; round < 40 && refusals.Count == 0; round++)
            {
                var reports = Enumerable.Range(0, 8).Select(_ => TestData.SmallReport(_time.GetUtcNow(), mediaSize: 16 * 1024)).ToList();
                var results = await Task.WhenAll(reports.Select(async r =>
                {
                    try
                    {
                        await store.Reports.SubmitAsync(r, TestData.SubmitAudit(r));
                        return (r.Id, Error: (Exception?)null);
                    }
                    catch (Exception e)
                    {
                        return (r.Id, Error: e);
                    }
                }));
                accepted.AddRange(results.Where(r => r.Error is null).Select(r => r.Id));
                refusals.AddRange(results.Where(r => r.Error is not null).Select(r => r.Error!));
            }

            Assert.NotEmpty(refusals);
            Assert.All(refusals, e => Assert.IsType<StorageFullException>(e));
            Assert.All(refusals, e => Assert.Contains("full", e.Message, StringComparison.Ordinal));

            // Still full: writes one at a time are refused the same way once the last free pages are used.
            StorageFullException? alone = null;
            for (var i = 0; i < 20 && alone is null; i++)
            {
                var more = TestData.SmallReport(_time.GetUtcNow(), mediaSize: 16 * 1024);
                try
                {
                    await store.Reports.SubmitAsync(more, TestData.SubmitAudit(more));
                    accepted.Add(more.Id);
                }
                catch (StorageFullException e)
                {
                    alone = e;
                }
            }

            Assert.NotNull(alone);

            // Every accepted report is there, whole.
            foreach (var id in accepted)
            {
                var report = await store.Reports.GetAsync(id);
                Assert.NotNull(report);
                Assert.Equal(2, report.Files.Count);
            }

            // Space returns (the operator drops the filler): the same store writes again.
            await _database.ExecuteAsync("DROP TABLE filler;");
            var after = TestData.SmallReport(_time.GetUtcNow(), mediaSize: 16 * 1024);
            Assert.True((await store.Reports.SubmitAsync(after, TestData.SubmitAudit(after))).Created);
            Assert.NotNull(await store.Reports.GetAsync(after.Id));
            Assert.Equal("ok", await store.CheckIntegrityAsync());
        }

        Assert.NotEmpty(accepted);
    }
}
