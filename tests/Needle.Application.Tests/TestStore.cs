using Microsoft.Extensions.Time.Testing;
using Needle.Application.Media;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Application.Tests;

/// <summary>A real, migrated store of a <see cref="StoreBackend"/> (SQLite or PostgreSQL), on a fake clock; deleted on dispose.</summary>
internal sealed class TestStore : IAsyncDisposable
{
    private readonly Func<Task> _delete;

    private TestStore(Func<Task> delete, FakeTimeProvider time, INeedleStore store)
    {
        _delete = delete;
        Time = time;
        Store = store;
    }

    public static DateTimeOffset Start { get; } = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);

    public FakeTimeProvider Time { get; }

    public INeedleStore Store { get; }

    public MediaProtector Protector { get; } = MediaProtector.FromKey(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static async Task<TestStore> CreateAsync(StoreBackend backend)
    {
        var time = new FakeTimeProvider(Start);
        var (store, delete) = backend.Open(time);
        var test = new TestStore(delete, time, store);
        try
        {
            await store.MigrateAsync();
            return test;
        }
        catch
        {
            await test.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        await _delete();
    }

    public async Task<List<AuditEntry>> AuditEntriesAsync() => [.. await Store.Audit.ReadAsync(0, 10_000)];
}
