using Microsoft.Extensions.Time.Testing;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>What a backend's test fixture is given to open its store.</summary>
public sealed record StoreTestOptions(TimeProvider TimeProvider, int MaxJobAttempts);

/// <summary>
/// Base of the storage contract suites: every test gets a fresh, migrated, empty database from the backend's
/// <see cref="OpenStore"/>, and a fake clock. A backend (SQLite now, PostgreSQL later) runs the whole contract by
/// deriving one class per suite and implementing the few abstract members.
/// </summary>
public abstract class StoreContract : IAsyncLifetime
{
    /// <summary>Attempts after which a failing job is parked; small so the tests reach it quickly.</summary>
    protected const int MaxJobAttempts = 3;

    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 14, 9, 26, 53, TimeSpan.Zero).AddTicks(5897932));

    protected INeedleStore Store { get; private set; } = null!;

    /// <summary>Opens this test's database (the same one each time it is called: <see cref="ReopenAsync"/> relies on it).</summary>
    protected abstract INeedleStore OpenStore(StoreTestOptions options);

    /// <summary>Removes this test's database after the test.</summary>
    protected abstract Task DeleteDatabaseAsync();

    public async Task InitializeAsync()
    {
        Store = OpenStore(new StoreTestOptions(Time, MaxJobAttempts));
        await Store.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        await DeleteDatabaseAsync();
    }

    /// <summary>Disposes the store and opens the same database again, as a restarted server would.</summary>
    protected async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = OpenStore(new StoreTestOptions(Time, MaxJobAttempts));
        await Store.MigrateAsync();
    }

    protected Task<SubmitResult> SubmitAsync(NewReport report) => Store.Reports.SubmitAsync(report, TestData.SubmitAudit(report));

    /// <summary>Leases the next job, which must exist.</summary>
    protected async Task<LeasedJob> LeaseAsync(string worker = "worker-1", TimeSpan? lease = null) =>
        await Store.Jobs.TryLeaseAsync(worker, lease ?? TimeSpan.FromMinutes(5)) ?? throw new InvalidOperationException("No job to lease.");
}
