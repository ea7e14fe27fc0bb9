using Microsoft.Extensions.Time.Testing;
using Needle.Core.Lists;
using Needle.Core.Storage;
using Needle.Matching.Lists;
using Needle.Storage.Postgres;
using Needle.Storage.Tests.Contracts;
using Needle.Testing.Postgres;
using Npgsql;

namespace Needle.Storage.Tests.Postgres;

/// <summary>
/// PostgreSQL's "disk full" (SQLSTATE 53100) is told as the <see cref="StorageFullException"/> SQLite's SQLITE_FULL
/// gives (the server answers both 507 with a Retry-After). The server raises the real error code from a trigger, as it
/// would for a table or WAL file that cannot grow (filling a real disk needs a mount, which a test cannot count on).
/// </summary>
[Collection(PostgresCollection.Name)]
public sealed class PostgresDiskFullTests(PostgresServer server) : IAsyncLifetime
{
    private readonly PostgresTestDatabase _database = new(server);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero));

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _database.DeleteAsync();

    [Fact]
    public async Task A_full_disk_refuses_adds_and_imports_as_storage_full_keeps_nothing_of_them_and_recovers()
    {
        await using var store = _database.Open(new StoreTestOptions(_time, 5));
        await store.MigrateAsync();
        await store.Lists.CreateListAsync(new StoredList("big", HashListKind.Known, null, null, _time.GetUtcNow()), TestData.AdminAudit("list.create"));
        await _database.ExecuteAsync("""
            CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$;
            CREATE TRIGGER disk_full BEFORE INSERT ON list_entries FOR EACH ROW EXECUTE FUNCTION disk_full();
            """);
        var auditBefore = await _database.ScalarAsync("SELECT COUNT(*) FROM audit;");
        HashListEntry[] entries = [Entry(1), Entry(2)];

        var add = await Assert.ThrowsAsync<StorageFullException>(() => store.Lists.AddEntriesAsync("big", entries, _ => TestData.AdminAudit("list.entries.add")));
        Assert.Contains("full", add.Message, StringComparison.Ordinal);
        Assert.Equal("53100", Assert.IsType<PostgresException>(add.InnerException).SqlState);

        // The import's COPY fails as the rows reach the table: the same exception, and none of the import is kept.
        var import = await Assert.ThrowsAsync<StorageFullException>(() => store.Lists.ImportEntriesAsync(
            "big", null, put => Array.ForEach(entries, put), _ => TestData.AdminAudit("list.import"), null, 1024, null));
        Assert.Contains("full", import.Message, StringComparison.Ordinal);
        Assert.Empty(await store.Lists.GetEntriesAsync("big"));
        Assert.Equal(auditBefore, await _database.ScalarAsync("SELECT COUNT(*) FROM audit;"));

        // Space returns: the same import goes through.
        await _database.ExecuteAsync("DROP TRIGGER disk_full ON list_entries;");
        var done = await store.Lists.ImportEntriesAsync("big", null, put => Array.ForEach(entries, put), _ => TestData.AdminAudit("list.import"), null, 1024, null);
        Assert.Equal(2, done.Count);
        Assert.Equal(2, (await store.Lists.GetEntriesAsync("big")).Count);
    }

    [Fact]
    public void Only_disk_full_is_storage_full()
    {
        Assert.IsType<StorageFullException>(PostgresDialect.AsStorageFull(new PostgresException("no space", "ERROR", "ERROR", PostgresErrorCodes.DiskFull)));
        Assert.Null(PostgresDialect.AsStorageFull(new PostgresException("too big", "ERROR", "ERROR", PostgresErrorCodes.ProgramLimitExceeded)));
        Assert.Null(PostgresDialect.AsStorageFull(new PostgresException("out of memory", "ERROR", "ERROR", PostgresErrorCodes.OutOfMemory)));
    }

    private static HashListEntry Entry(int i) => new(SignalTypes.Md5, i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)) { Label = $"item {i}" };
}
