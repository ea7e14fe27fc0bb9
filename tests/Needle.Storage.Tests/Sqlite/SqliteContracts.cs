using Needle.Core.Audit;
using Needle.Core.Storage;
using Needle.Storage.Tests.Contracts;

namespace Needle.Storage.Tests.Sqlite;

// The storage contract, run against a real SQLite file per test.

public sealed class SqliteReportStoreTests : ReportStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteJobQueueTests : JobQueueContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteListStoreTests : ListStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteApiKeyStoreTests : ApiKeyStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteAuditLogTests : AuditLogContract
{
    private const string DropGuards = "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;";

    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();

    // The tamperer has the file: it drops the append-only triggers first.
    protected override Task TamperEditActorAsync(long sequence, string actor) =>
        _database.ExecuteAsync(DropGuards + "UPDATE audit SET actor = @actor WHERE sequence = @sequence;", ("@actor", actor), ("@sequence", sequence));

    protected override Task TamperDeleteAsync(long sequence) =>
        _database.ExecuteAsync(DropGuards + "DELETE FROM audit WHERE sequence = @sequence;", ("@sequence", sequence));

    protected override Task TamperInsertAsync(AuditEntry entry) =>
        _database.ExecuteAsync(
            DropGuards + """
            UPDATE audit SET sequence = -sequence WHERE sequence >= @sequence;
            UPDATE audit SET sequence = -sequence + 1 WHERE sequence < 0;
            INSERT INTO audit (sequence, at, actor, action, target, details, remote_address, previous_hash, hash)
            VALUES (@sequence, @at, @actor, @action, @target, @details, @remote, @previous, @hash);
            """,
            ("@sequence", entry.Sequence),
            ("@at", entry.At.UtcTicks),
            ("@actor", entry.Actor),
            ("@action", entry.Action),
            ("@target", entry.Target),
            ("@details", (object?)entry.Details ?? DBNull.Value),
            ("@remote", (object?)entry.RemoteAddress ?? DBNull.Value),
            ("@previous", entry.PreviousHash),
            ("@hash", entry.Hash));

    protected override Task TamperSwapAsync(long first, long second) =>
        _database.ExecuteAsync(
            DropGuards + """
            UPDATE audit SET sequence = -1 WHERE sequence = @first;
            UPDATE audit SET sequence = @first WHERE sequence = @second;
            UPDATE audit SET sequence = @second WHERE sequence = -1;
            """,
            ("@first", first),
            ("@second", second));
}

public sealed class SqliteListChangeLogTests : ListChangeLogContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteSettingsStoreTests : SettingsStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteCaseStoreTests : CaseStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteExchangeStoreTests : ExchangeStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteFloodGuardStoreTests : FloodGuardStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

public sealed class SqliteExchangeFeedbackStoreTests : ExchangeFeedbackStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}
