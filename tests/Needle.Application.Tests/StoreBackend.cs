using Needle.Application.Triage;
using Needle.Core.Storage;
using Needle.Storage.Postgres;
using Needle.Storage.Sqlite;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// Where a test's store lives: a SQLite file in a temporary folder, or a fresh database on the run's PostgreSQL server
/// (<see cref="PostgresServer"/>, shared with the storage tests). Each open gives a new, empty, migrated store.
/// </summary>
public abstract class StoreBackend
{
    public static StoreBackend Sqlite { get; } = new SqliteBackend();

    public static StoreBackend Postgres(PostgresServer server) => new PostgresBackend(server);

    /// <summary>A new empty store (not yet migrated) on <paramref name="time"/>, and what deletes it once disposed.</summary>
    internal abstract (INeedleStore Store, Func<Task> Delete) Open(TimeProvider time);

    private sealed class SqliteBackend : StoreBackend
    {
        internal override (INeedleStore Store, Func<Task> Delete) Open(TimeProvider time)
        {
            var folder = Directory.CreateTempSubdirectory("needle-triage-").FullName;
            var store = new SqliteNeedleStore(Path.Combine(folder, "needle.db"), new SqliteStoreOptions { TimeProvider = time });
            return (store, () =>
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                Directory.Delete(folder, recursive: true);
                return Task.CompletedTask;
            });
        }

        public override string ToString() => "SQLite";
    }

    private sealed class PostgresBackend(PostgresServer server) : StoreBackend
    {
        internal override (INeedleStore Store, Func<Task> Delete) Open(TimeProvider time)
        {
            var connectionString = server.CreateDatabase();
            var store = new PostgresNeedleStore(connectionString, new PostgresStoreOptions { TimeProvider = time });
            return (store, () => server.DropDatabaseAsync(connectionString));
        }

        public override string ToString() => "PostgreSQL";
    }
}

/// <summary>
/// Base of the test classes that exercise a store: each is abstract, with one subclass per backend
/// (<c>..._on_Sqlite</c>, <c>..._on_Postgres</c>), so every test runs on both.
/// </summary>
public abstract class StoreBackedTests(StoreBackend backend)
{
    private protected StoreBackend Backend { get; } = backend;

    private protected Task<TestStore> CreateStoreAsync() => TestStore.CreateAsync(Backend);

    private protected Task<TriageHarness> CreateHarnessAsync(ScoringOptions? options = null) => TriageHarness.CreateAsync(Backend, options);
}
