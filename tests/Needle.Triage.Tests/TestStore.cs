using Microsoft.Extensions.Time.Testing;
using Needle.Storage.Sqlite;

namespace Needle.Triage.Tests;

/// <summary>A real SQLite store in a temporary folder, on a fake clock; deleted on dispose.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly string _folder;

    private TestStore(string folder, FakeTimeProvider time, INeedleStore store)
    {
        _folder = folder;
        Time = time;
        Store = store;
    }

    public static DateTimeOffset Start { get; } = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; }

    public INeedleStore Store { get; }

    public MediaProtector Protector { get; } = MediaProtector.FromKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static async Task<TestStore> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("needle-triage-").FullName;
        var time = new FakeTimeProvider(Start);
        var store = new SqliteNeedleStore(Path.Combine(folder, "needle.db"), new SqliteStoreOptions { TimeProvider = time });
        await store.MigrateAsync();
        return new TestStore(folder, time, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    public async Task<List<AuditEntry>> AuditEntriesAsync() => [.. await Store.Audit.ReadAsync(0, 10_000)];
}
