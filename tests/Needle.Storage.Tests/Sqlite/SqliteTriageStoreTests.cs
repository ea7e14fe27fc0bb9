using Needle.Core.Storage;
using Needle.Storage.Tests.Contracts;

namespace Needle.Storage.Tests.Sqlite;

/// <summary>The triage contract, run against a real SQLite file per test.</summary>
public sealed class SqliteTriageStoreTests : TriageStoreContract
{
    private readonly SqliteTestDatabase _database = new();

    protected override INeedleStore OpenStore(StoreTestOptions options) => _database.Open(options);

    protected override Task DeleteDatabaseAsync() => _database.DeleteAsync();

    protected override async Task<long> CountRowsAsync(string table) => Convert.ToInt64(await _database.ScalarAsync($"SELECT COUNT(*) FROM {table};"), System.Globalization.CultureInfo.InvariantCulture);
}
