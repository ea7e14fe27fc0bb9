using Needle.Core.Audit;
using Needle.Core.Storage;
using Needle.Storage.Tests.Contracts;
using Needle.Testing.Postgres;

namespace Needle.Storage.Tests.Postgres;

// The storage contract, run against a real PostgreSQL server: a fresh database per test.

[Collection(PostgresCollection.Name)]
public sealed class PostgresReportStoreTests(PostgresServer server) : ReportStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresJobQueueTests(PostgresServer server) : JobQueueContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresListStoreTests(PostgresServer server) : ListStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresApiKeyStoreTests(PostgresServer server) : ApiKeyStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresAuditLogTests(PostgresServer server) : AuditLogContract
{
    // The tamperer has the database (as its owner): it drops the append-only triggers first.
    private const string DropGuards = "DROP TRIGGER audit_no_update ON audit; DROP TRIGGER audit_no_delete ON audit;";

    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();

    protected override Task TamperEditActorAsync(long sequence, string actor) =>
        _database.ExecuteAsync(DropGuards + "UPDATE audit SET actor = @actor WHERE sequence = @sequence;", ("actor", actor), ("sequence", sequence));

    protected override Task TamperDeleteAsync(long sequence) =>
        _database.ExecuteAsync(DropGuards + "DELETE FROM audit WHERE sequence = @sequence;", ("sequence", sequence));

    protected override Task TamperInsertAsync(AuditEntry entry) =>
        _database.ExecuteAsync(
            DropGuards + """
            UPDATE audit SET sequence = -sequence WHERE sequence >= @sequence;
            UPDATE audit SET sequence = -sequence + 1 WHERE sequence < 0;
            INSERT INTO audit (sequence, at, actor, action, target, details, remote_address, previous_hash, hash)
            VALUES (@sequence, @at, @actor, @action, @target, @details, @remote, @previous, @hash);
            """,
            ("sequence", entry.Sequence),
            ("at", entry.At.UtcTicks),
            ("actor", entry.Actor),
            ("action", entry.Action),
            ("target", entry.Target),
            ("details", (object?)entry.Details ?? DBNull.Value),
            ("remote", (object?)entry.RemoteAddress ?? DBNull.Value),
            ("previous", entry.PreviousHash),
            ("hash", entry.Hash));

    protected override Task TamperSwapAsync(long first, long second) =>
        _database.ExecuteAsync(
            DropGuards + """
            UPDATE audit SET sequence = -1 WHERE sequence = @first;
            UPDATE audit SET sequence = @first WHERE sequence = @second;
            UPDATE audit SET sequence = @second WHERE sequence = -1;
            """,
            ("first", first),
            ("second", second));
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresListChangeLogTests(PostgresServer server) : ListChangeLogContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresSettingsStoreTests(PostgresServer server) : SettingsStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresCaseStoreTests(PostgresServer server) : CaseStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresExchangeStoreTests(PostgresServer server) : ExchangeStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresFloodGuardStoreTests(PostgresServer server) : FloodGuardStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}

[Collection(PostgresCollection.Name)]
public sealed class PostgresExchangeFeedbackStoreTests(PostgresServer server) : ExchangeFeedbackStoreContract
{
    private readonly PostgresTestDatabase _database = new(server);

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();
}
