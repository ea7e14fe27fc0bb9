using Needle.Core.Exchanges;
using Needle.Core.Lists;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>
/// <see cref="Needle.Core.Storage.IExchangeStore"/>: exchanges round-trip (credentials as stored bytes), a fetch's lease
/// excludes a second one, a batch replaces an item's entries (unchanged ones keep their id), tombstones remove, the
/// checkpoint moves with the batch, every change lands in the list change log and the audit log, and a lost lease
/// writes nothing.
/// </summary>
public abstract class ExchangeStoreContract : StoreContract
{
    private static HashListEntry Md5(int n, bool enabled = true) =>
        new(SignalTypes.Md5, n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)) { Label = $"e{n}", Enabled = enabled };

    private StoredExchange Exchange(string name = "feed", string list = "known") =>
        new(Guid.NewGuid(), name, ExchangeKinds.StopNcii, list, """{"baseUrl":"https://example.invalid/v1"}""", new byte[] { 1, 2, 3, 250 }, TimeSpan.FromMinutes(30), true, Time.GetUtcNow());

    private async Task<StoredExchange> CreateAsync(string name = "feed")
    {
        Assert.True(await Store.Lists.CreateListAsync(new StoredList("known", HashListKind.Known, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        var exchange = Exchange(name);
        Assert.True(await Store.Exchanges.CreateAsync(exchange, TestData.AdminAudit("exchange.create", "exchange/" + name)));
        return exchange;
    }

    [Fact]
    public async Task An_exchange_round_trips_is_unique_by_name_updates_and_deletes_with_audit()
    {
        var exchange = await CreateAsync();
        Assert.False(await Store.Exchanges.CreateAsync(Exchange() with { Id = Guid.NewGuid() }, TestData.AdminAudit("exchange.create")));
        var read = await Store.Exchanges.GetAsync("feed");
        Assert.NotNull(read);
        Assert.Equal((exchange.Id, exchange.Kind, exchange.ListName, exchange.Settings, exchange.Interval, true, exchange.CreatedAt), (read.Id, read.Kind, read.ListName, read.Settings, read.Interval, read.Enabled, read.CreatedAt));
        Assert.Equal(exchange.Credentials.ToArray(), read.Credentials.ToArray());
        Assert.Equal("feed", (await Store.Exchanges.GetAsync(exchange.Id))?.Name);
        Assert.Equal([exchange.Id], await Store.Exchanges.DueAsync(Time.GetUtcNow()));

        Assert.True(await Store.Exchanges.UpdateAsync(exchange with { Credentials = new byte[] { 9 }, Enabled = false, Interval = TimeSpan.FromHours(2) }, TestData.AdminAudit("exchange.update")));
        read = await Store.Exchanges.GetAsync(exchange.Id);
        Assert.Equal([(byte)9], read!.Credentials.ToArray());
        Assert.Equal((false, TimeSpan.FromHours(2)), (read.Enabled, read.Interval));
        Assert.Empty(await Store.Exchanges.DueAsync(Time.GetUtcNow()));

        Assert.True(await Store.Exchanges.DeleteAsync("feed", TestData.AdminAudit("exchange.delete")));
        Assert.False(await Store.Exchanges.DeleteAsync("feed", TestData.AdminAudit("exchange.delete")));
        Assert.Null(await Store.Exchanges.GetAsync("feed"));
        var actions = (await Store.Audit.ReadAsync(0, 1000)).Select(static e => e.Action).ToArray();
        Assert.Equal(1, actions.Count(static a => a == "exchange.create"));
        Assert.Equal(1, actions.Count(static a => a == "exchange.update"));
        Assert.Equal(1, actions.Count(static a => a == "exchange.delete"));
    }

    [Fact]
    public async Task A_lease_excludes_a_second_fetch_until_finished_or_expired()
    {
        var exchange = await CreateAsync();
        var now = Time.GetUtcNow();
        var first = Guid.NewGuid();
        var second = Guid.NewGuid();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, first, "host/1/1", now, now.AddMinutes(5)));
        Assert.False(await Store.Exchanges.TryLeaseAsync(exchange.Id, second, "host/2/1", now, now.AddMinutes(5)));
        Assert.Empty(await Store.Exchanges.DueAsync(now));
        Assert.True(await Store.Exchanges.FinishAsync(exchange.Id, first, now, null, "note"));
        Assert.False(await Store.Exchanges.FinishAsync(exchange.Id, first, now, null, null));
        var status = await Store.Exchanges.GetStatusAsync(exchange.Id);
        Assert.Equal((true, (string?)null, "note", now, now), (status!.Success, status.Error, status.Notice, status.LastFetch, status.LastSuccess));
        Assert.Equal(now + exchange.Interval, status.NextFetch);

        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, second, "host/2/1", now, now.AddMinutes(5)));
        Time.Advance(TimeSpan.FromMinutes(6));
        var later = Time.GetUtcNow();

        // The first holder's lease ran out: another takes it, and the old token can write nothing.
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, first, "host/1/1", later, later.AddMinutes(5)));
        await Assert.ThrowsAsync<ExchangeLostException>(() => Store.Exchanges.ApplyAsync(exchange.Id, second, new ExchangeBatch([new ExchangeItem("a", [Md5(1)])], "cp"), _ => TestData.AdminAudit("list.entries.sync")));
        Assert.False(await Store.Exchanges.RenewAsync(exchange.Id, second, later.AddMinutes(9)));
        Assert.True(await Store.Exchanges.RenewAsync(exchange.Id, first, later.AddMinutes(9)));
        Assert.Empty(await Store.Lists.GetEntriesAsync("known"));
        Assert.True(await Store.Exchanges.FinishAsync(exchange.Id, first, later, "the provider answered 500", null));
        status = await Store.Exchanges.GetStatusAsync(exchange.Id);
        Assert.Equal((false, "the provider answered 500", now), (status!.Success, status.Error, status.LastSuccess));
    }

    [Fact]
    public async Task A_batch_replaces_items_keeps_unchanged_entries_removes_tombstones_and_moves_the_checkpoint_in_one_step()
    {
        var exchange = await CreateAsync();
        var token = Guid.NewGuid();
        var now = Time.GetUtcNow();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, token, "host/1/1", now, now.AddMinutes(5)));
        var start = (await Store.Lists.ReadSnapshotAsync()).Sequence;

        var first = await Store.Exchanges.ApplyAsync(
            exchange.Id,
            token,
            new ExchangeBatch([new ExchangeItem("a", [Md5(1)]), new ExchangeItem("b", [Md5(2)]), new ExchangeItem("c", [Md5(3)]), new ExchangeItem("a", [Md5(4)])], "cp-1"),
            r => TestData.AdminAudit("list.entries.sync", "list/known", $"{r.Added}/{r.Removed}"));

        // The later record of "a" won.
        Assert.Equal(new ExchangeBatchResult(3, 0), first);
        var entries = await Store.Lists.GetEntriesAsync("known");
        Assert.Equal([Md5(4).Value, Md5(2).Value, Md5(3).Value], entries.Select(static e => e.Value));
        var kept = entries.Single(e => e.Value == Md5(2).Value).Id;

        var second = await Store.Exchanges.ApplyAsync(
            exchange.Id,
            token,
            new ExchangeBatch([new ExchangeItem("b", [Md5(2)]), new ExchangeItem("c", []), new ExchangeItem("a", [Md5(4, enabled: false)]), new ExchangeItem("zz", [])], "cp-2"),
            r => TestData.AdminAudit("list.entries.sync", "list/known", $"{r.Added}/{r.Removed}"));
        Assert.Equal(new ExchangeBatchResult(1, 2), second);
        entries = await Store.Lists.GetEntriesAsync("known");
        Assert.Equal([(Md5(2).Value, true, kept), (Md5(4).Value, false, entries[1].Id)], entries.Select(static e => (e.Value, e.Enabled, e.Id)));

        var status = await Store.Exchanges.GetStatusAsync(exchange.Id);
        Assert.Equal(("cp-2", 4L, 2L), (status!.Checkpoint, status.Added, status.Removed));

        // A batch that changes nothing still moves the checkpoint, and writes no audit entry or change.
        var audits = (await Store.Audit.ReadAsync(0, 1000)).Count(static e => e.Action == "list.entries.sync");
        Assert.Equal(new ExchangeBatchResult(0, 0), await Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("b", [Md5(2)])], "cp-3"), _ => TestData.AdminAudit("list.entries.sync")));
        Assert.Equal("cp-3", (await Store.Exchanges.GetStatusAsync(exchange.Id))!.Checkpoint);
        Assert.Equal(2, audits);
        Assert.Equal(audits, (await Store.Audit.ReadAsync(0, 1000)).Count(static e => e.Action == "list.entries.sync"));

        // Every change is in the change log, with the current state of its ids.
        var changes = await Store.Lists.ReadChangesAsync(start, 100);
        Assert.All(changes, static c => Assert.Equal((ListChangeKind.EntriesChanged, "known"), (c.Kind, c.ListName)));
        var touched = changes.SelectMany(static c => Enumerable.Range(c.FirstEntryId, c.LastEntryId - c.FirstEntryId + 1)).ToHashSet();
        Assert.Equal(new HashSet<int>([1, 2, 3, 4]), touched);
    }

    [Fact]
    public async Task A_quarantined_entry_sent_again_by_the_provider_stays_quarantined_with_its_id()
    {
        var exchange = await CreateAsync();
        var token = Guid.NewGuid();
        var now = Time.GetUtcNow();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, token, "host/1/1", now, now.AddMinutes(5)));
        await Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("a", [Md5(1)])], "cp-1"), _ => TestData.AdminAudit("list.entries.sync"));
        var id = Assert.Single(await Store.Lists.GetEntriesAsync("known")).Id;
        Assert.True(await Store.Lists.QuarantineEntryAsync(new EntryQuarantine("known", id, 500, 0, TimeSpan.FromHours(1), now), TestData.AdminAudit("list.entry.quarantine")));

        // A full re-fetch sends the same record, enabled: it must not come back as a new, enabled entry.
        Assert.Equal(new ExchangeBatchResult(0, 0), await Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("a", [Md5(1)])], "cp-2"), _ => TestData.AdminAudit("list.entries.sync")));
        var entry = Assert.Single(await Store.Lists.GetEntriesAsync("known"));
        Assert.Equal((id, false), (entry.Id, entry.Enabled));
        Assert.Equal(id, Assert.Single(await Store.Lists.GetQuarantinedAsync("known")).EntryId);
    }

    [Fact]
    public async Task A_lease_of_a_dead_holder_is_freed_at_once()
    {
        var exchange = await CreateAsync();
        var now = Time.GetUtcNow();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, Guid.NewGuid(), "host/41/0", now, now.AddHours(1)));
        Assert.Equal(0, await Store.Exchanges.ReleaseAbandonedAsync(static holder => holder == "host/42/0"));
        Assert.False(await Store.Exchanges.TryLeaseAsync(exchange.Id, Guid.NewGuid(), "host/42/0", now, now.AddHours(1)));
        Assert.Equal(1, await Store.Exchanges.ReleaseAbandonedAsync(static holder => holder == "host/41/0"));
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, Guid.NewGuid(), "host/42/0", now, now.AddHours(1)));
    }

    [Fact]
    public async Task A_batch_for_a_missing_list_writes_nothing()
    {
        var exchange = await CreateAsync();
        var token = Guid.NewGuid();
        var now = Time.GetUtcNow();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, token, "host/1/1", now, now.AddMinutes(5)));
        Assert.True(await Store.Lists.DeleteListAsync("known", TestData.AdminAudit("list.delete")));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("a", [Md5(1)])], "cp"), _ => TestData.AdminAudit("list.entries.sync")));
        Assert.Null((await Store.Exchanges.GetStatusAsync(exchange.Id))!.Checkpoint);
    }

    [Fact]
    public async Task A_full_fetch_marks_what_it_delivers_and_its_sweep_removes_the_rest_once()
    {
        var exchange = await CreateAsync();
        var token = Guid.NewGuid();
        var now = Time.GetUtcNow();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, token, "host/1/1", now, now.AddMinutes(5)));
        await Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("a", [Md5(1)]), new ExchangeItem("b", [Md5(2)]), new ExchangeItem("c", [Md5(3)])], "cp-1"), _ => TestData.AdminAudit("list.entries.sync"));

        // No full fetch under way: a sweep removes nothing.
        Assert.Equal(new ExchangeBatchResult(0, 0), await Store.Exchanges.SweepAsync(exchange.Id, token, _ => TestData.AdminAudit("list.entries.sync")));
        Assert.Equal(3, (await Store.Lists.GetEntriesAsync("known")).Count);

        Assert.True(await Store.Exchanges.RequestFullFetchAsync(exchange.Id));
        Assert.True((await Store.Exchanges.GetStatusAsync(exchange.Id))!.FullFetchRequested);
        Assert.True(await Store.Exchanges.StartFullFetchAsync(exchange.Id, token));
        var status = await Store.Exchanges.GetStatusAsync(exchange.Id);
        Assert.Equal((true, false, (string?)null), (status!.FullFetch, status.FullFetchRequested, status.Checkpoint));
        Assert.False(await Store.Exchanges.StartFullFetchAsync(exchange.Id, Guid.NewGuid()));

        // The full fetch delivers "a" unchanged and "c" changed, not "b"; a lost lease sweeps nothing.
        var kept = (await Store.Lists.GetEntriesAsync("known")).Single(e => e.Value == Md5(1).Value).Id;
        await Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("a", [Md5(1)]), new ExchangeItem("c", [Md5(5)])], "cp-2"), _ => TestData.AdminAudit("list.entries.sync"));
        await Assert.ThrowsAsync<ExchangeLostException>(() => Store.Exchanges.SweepAsync(exchange.Id, Guid.NewGuid(), _ => TestData.AdminAudit("list.entries.sync")));
        Assert.Equal(3, (await Store.Lists.GetEntriesAsync("known")).Count);
        var start = (await Store.Lists.ReadSnapshotAsync()).Sequence;

        var swept = await Store.Exchanges.SweepAsync(exchange.Id, token, r => TestData.AdminAudit("list.entries.sync", "list/known", $"sweep {r.Removed}"));
        Assert.Equal(new ExchangeBatchResult(0, 1), swept);
        var entries = await Store.Lists.GetEntriesAsync("known");
        Assert.Equal([(Md5(1).Value, kept), (Md5(5).Value, entries[1].Id)], entries.Select(static e => (e.Value, e.Id)));
        Assert.False((await Store.Exchanges.GetStatusAsync(exchange.Id))!.FullFetch);
        Assert.Contains(await Store.Audit.ReadAsync(0, 1000), static e => e.Details == "sweep 1");
        Assert.NotEmpty(await Store.Lists.ReadChangesAsync(start, 100));

        // Done: a second sweep removes nothing more.
        Assert.Equal(new ExchangeBatchResult(0, 0), await Store.Exchanges.SweepAsync(exchange.Id, token, _ => TestData.AdminAudit("list.entries.sync")));
        Assert.Equal(2, (await Store.Lists.GetEntriesAsync("known")).Count);
    }
}
