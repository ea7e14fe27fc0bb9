using Needle.Application.Lists;
using Needle.Core.Lists;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>
/// The list change log of <see cref="IListStore"/> and the <see cref="HashListService"/>s that follow it: hosts on separate
/// store instances (as separate processes would be) converge after changes on either, a late starter loads a snapshot
/// and follows, and concurrent writers never make a follower skip a change.
/// </summary>
public abstract class ListChangeLogContract : StoreContract
{
    private static HashListEntry Md5(int n) => new(SignalTypes.Md5, n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)) { Label = $"e{n}" };

    [Fact]
    public async Task Every_list_change_appends_one_row_carrying_the_current_state()
    {
        var lists = Store.Lists;
        var start = (await lists.ReadSnapshotAsync()).Sequence;
        Assert.True(await lists.CreateListAsync(new StoredList("known", HashListKind.Known, 31, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        Assert.False(await lists.CreateListAsync(new StoredList("known", HashListKind.Known, 31, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        var added = await lists.AddEntriesAsync("known", [Md5(1), Md5(2), Md5(3)], TestData.EntriesAudit);
        Assert.True(await lists.SetEntryEnabledAsync("known", added[1].Id, false, TestData.AdminAudit("list.entry.disable")));
        Assert.False(await lists.SetEntryEnabledAsync("known", 99, false, TestData.AdminAudit("list.entry.disable")));
        Assert.True(await lists.RemoveEntryAsync("known", added[2].Id, TestData.AdminAudit("list.entry.remove")));
        Assert.True(await lists.CreateListAsync(new StoredList("gone", HashListKind.Allow, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        Assert.True(await lists.DeleteListAsync("gone", TestData.AdminAudit("list.delete")));

        var changes = await lists.ReadChangesAsync(start, 100);
        Assert.Equal(
            [
                (ListChangeKind.ListCreated, "known", 0, 0),
                (ListChangeKind.EntriesChanged, "known", 1, 3),
                (ListChangeKind.EntriesChanged, "known", 2, 2),
                (ListChangeKind.EntriesChanged, "known", 3, 3),
                (ListChangeKind.ListCreated, "gone", 0, 0),
                (ListChangeKind.ListDeleted, "gone", 0, 0),
            ],
            changes.Select(c => (c.Kind, c.ListName, c.FirstEntryId, c.LastEntryId)));
        Assert.Equal(changes.Select(c => c.Sequence).Order(), changes.Select(c => c.Sequence));
        Assert.Equal(changes.Count, changes.Select(c => c.Sequence).Distinct().Count());

        // Current state, not the state at the time: entry 3 is gone, entry 2 disabled; "gone" has no settings any more.
        Assert.Equal([(1, true), (2, false)], changes[1].Entries.Select(e => (e.Id, e.Enabled)));
        Assert.Equal("known", changes[0].List?.Name);
        Assert.Equal(31, changes[0].List?.PdqThreshold);
        Assert.Null(changes[4].List);

        // Paging by sequence, and the snapshot's sequence is the last change.
        Assert.Equal(changes.Skip(2).Take(2).Select(c => c.Sequence), (await lists.ReadChangesAsync(changes[1].Sequence, 2)).Select(c => c.Sequence));
        var snapshot = await lists.ReadSnapshotAsync();
        Assert.Equal(changes[^1].Sequence, snapshot.Sequence);
        var (list, entries) = Assert.Single(snapshot.Lists);
        Assert.Equal("known", list.Name);
        Assert.Equal([(1, true), (2, false)], entries.Select(e => (e.Id, e.Enabled)));
        Assert.Empty(await lists.ReadChangesAsync(snapshot.Sequence, 100));
    }

    [Fact]
    public async Task The_streamed_snapshot_hands_over_what_the_snapshot_holds_in_id_order()
    {
        var lists = Store.Lists;
        Assert.True(await lists.CreateListAsync(new StoredList("b-known", HashListKind.Known, 20, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        Assert.True(await lists.CreateListAsync(new StoredList("a-allow", HashListKind.Allow, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        Assert.True(await lists.CreateListAsync(new StoredList("c-empty", HashListKind.Known, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        var known = await lists.AddEntriesAsync(
            "b-known",
            [Md5(1) with { Category = "2", Source = "s.csv", Metadata = new Dictionary<string, string> { ["case"] = "C-1" } }, Md5(2), Md5(3)],
            TestData.EntriesAudit);
        await lists.AddEntriesAsync("a-allow", [Md5(4)], TestData.EntriesAudit);
        Assert.True(await lists.SetEntryEnabledAsync("b-known", known[1].Id, false, TestData.AdminAudit("list.entry.disable")));
        Assert.True(await lists.RemoveEntryAsync("b-known", known[2].Id, TestData.AdminAudit("list.entry.remove")));

        var snapshot = await lists.ReadSnapshotAsync();
        var streamed = new List<(StoredList List, List<HashListEntry> Entries)>();
        var sequence = await lists.StreamSnapshotAsync(list =>
        {
            var entries = new List<HashListEntry>();
            streamed.Add((list, entries));
            return entries.Add;
        });

        Assert.Equal(snapshot.Sequence, sequence);
        Assert.Equal(snapshot.Lists.Select(l => l.List), streamed.Select(l => l.List));
        for (var i = 0; i < snapshot.Lists.Count; i++)
        {
            var expected = snapshot.Lists[i].Entries;
            var actual = streamed[i].Entries;
            Assert.Equal(expected.Select(e => (e.Id, e.SignalType, e.Value, e.Label, e.Category, e.Source, e.Enabled)), actual.Select(e => (e.Id, e.SignalType, e.Value, e.Label, e.Category, e.Source, e.Enabled)));
            Assert.Equal(expected.Select(e => e.Metadata.ToArray()), actual.Select(e => e.Metadata.ToArray()));
        }

        var known2 = Assert.Single(streamed, l => l.List.Name == "b-known");
        Assert.Equal([(known[0].Id, true), (known[1].Id, false)], known2.Entries.Select(e => (e.Id, e.Enabled)));
        Assert.Equal("C-1", known2.Entries[0].Metadata["case"]);
        Assert.Empty(Assert.Single(streamed, l => l.List.Name == "c-empty").Entries);
    }

    [Fact]
    public async Task Two_hosts_on_two_store_instances_converge_after_changes_on_either()
    {
        await using var other = OpenStore(new StoreTestOptions(Time, MaxJobAttempts));
        using var first = await HashListService.LoadAsync(Store.Lists, Time);
        using var second = await HashListService.LoadAsync(other.Lists, Time);

        await first.CreateListAsync("known", HashListKind.Known, null, "admin");
        var added = await first.AddEntriesAsync("known", [Md5(1), Md5(2), Md5(3)], "admin");
        await second.CatchUpAsync();
        Assert.Equal(Describe(first), Describe(second));
        Assert.True(second.Match(Signals(Md5(2))).Matches.Count > 0);

        // Changes on the second, including a new list; the first applies them, the second does not apply its own twice.
        Assert.True(await second.SetEntryEnabledAsync("known", added[1].Id, false, "admin"));
        Assert.True(await second.RemoveEntryAsync("known", added[2].Id, "admin"));
        await second.CreateListAsync("allow", HashListKind.Allow, null, "admin");
        await second.AddEntriesAsync("allow", [Md5(9)], "admin");
        var secondBefore = Describe(second);
        var matcherBefore = second.Matcher;
        Assert.Equal(4, await second.CatchUpAsync());
        Assert.Equal(secondBefore, Describe(second));
        Assert.Same(matcherBefore, second.Matcher);

        await first.CatchUpAsync();
        Assert.Equal(Describe(second), Describe(first));
        Assert.False(first.Match(Signals(Md5(2))).Matches.Count > 0);
        Assert.False(first.Match(Signals(Md5(3))).Matches.Count > 0);
        Assert.Equal(first.Sequence, second.Sequence);

        // A list deleted and made again under its name between two polls: the follower ends with the new one only.
        Assert.True(await first.DeleteListAsync("known", "admin"));
        await first.CreateListAsync("known", HashListKind.Known, 20, "admin");
        await first.AddEntriesAsync("known", [Md5(7)], "admin");
        await second.CatchUpAsync();
        Assert.Equal(Describe(first), Describe(second));
        Assert.Equal(20, second.FindList("known")!.PdqThreshold);
        Assert.False(second.Match(Signals(Md5(1))).Matches.Count > 0);
        Assert.True(second.Match(Signals(Md5(7))).Matches.Count > 0);
    }

    [Fact]
    public async Task A_host_started_late_loads_a_snapshot_and_then_follows()
    {
        using var first = await HashListService.LoadAsync(Store.Lists, Time);
        await first.CreateListAsync("known", HashListKind.Known, null, "admin");
        var added = await first.AddEntriesAsync("known", [.. Enumerable.Range(1, 50).Select(Md5)], "admin");
        await first.SetEntryEnabledAsync("known", added[10].Id, false, "admin");

        await using var other = OpenStore(new StoreTestOptions(Time, MaxJobAttempts));
        using var late = await HashListService.LoadAsync(other.Lists, Time);

        // The first host's own changes are in its memory already: reading them back only moves its sequence.
        var before = Describe(first);
        Assert.Equal(3, await first.CatchUpAsync());
        Assert.Equal(before, Describe(first));
        Assert.Equal(first.Sequence, late.Sequence);
        Assert.Equal(Describe(first), Describe(late));
        Assert.Equal(0, await late.CatchUpAsync());

        await first.AddEntriesAsync("known", [Md5(51)], "admin");
        Assert.Equal(1, await late.CatchUpAsync());
        Assert.Equal(Describe(first), Describe(late));
    }

    [Fact]
    public async Task Concurrent_writers_never_make_a_follower_skip_a_change()
    {
        const int Writers = 6;
        const int ChangesPerWriter = 12;
        await using var other = OpenStore(new StoreTestOptions(Time, MaxJobAttempts));
        using var writerHost = await HashListService.LoadAsync(Store.Lists, Time);
        await writerHost.CreateListAsync("known", HashListKind.Known, null, "admin");
        using var follower = await HashListService.LoadAsync(other.Lists, Time);

        // Writers on two store instances (two connection pools) commit concurrently while the follower polls.
        await using var third = OpenStore(new StoreTestOptions(Time, MaxJobAttempts));
        IListStore[] stores = [Store.Lists, third.Lists];
        var seen = new List<long>();
        using var stop = new CancellationTokenSource();
        var following = Task.Run(async () =>
        {
            var after = follower.Sequence;
            while (true)
            {
                // Small pages, read to the end each round, while the writers commit.
                var done = stop.IsCancellationRequested;
                IReadOnlyList<ListChange> page;
                do
                {
                    page = await other.Lists.ReadChangesAsync(after, 7);
                    foreach (var change in page)
                    {
                        seen.Add(change.Sequence);
                        after = change.Sequence;
                    }
                }
                while (page.Count == 7);

                await follower.CatchUpAsync();
                if (done)
                {
                    return;
                }
            }
        });
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var store = stores[w % stores.Length];
            for (var i = 0; i < ChangesPerWriter; i++)
            {
                var entry = Md5((w * 1000) + i);
                var stored = await store.AddEntriesAsync("known", [entry], TestData.EntriesAudit);
                if (i % 3 == 0)
                {
                    await store.SetEntryEnabledAsync("known", stored[0].Id, false, TestData.AdminAudit("list.entry.disable"));
                }
            }
        })));
        await stop.CancelAsync();
        await following;

        // Every change was read exactly once, in order, with no gap; the follower holds what the database holds.
        var all = await other.Lists.ReadChangesAsync(0, 10_000);
        var written = all.Where(c => c.Kind == ListChangeKind.EntriesChanged).Select(c => c.Sequence).ToList();
        Assert.Equal(Writers * (ChangesPerWriter + ((ChangesPerWriter + 2) / 3)), written.Count);
        Assert.Equal(written, seen);
        using var fresh = await HashListService.LoadAsync(other.Lists, Time);
        Assert.Equal(Describe(fresh), Describe(follower));
        Assert.Equal(Writers * ChangesPerWriter, follower.FindList("known")!.Count);
    }

    private static FileSignals Signals(HashListEntry entry) => new() { Md5 = entry.Value };

    /// <summary>Everything a host's lists hold, as comparable text.</summary>
    private static string Describe(HashListService host) =>
        string.Join(
            '\n',
            host.Lists.Select(l => $"{l.Name} {l.Kind} pdq={l.PdqThreshold}: " + string.Join(' ', l.Entries.Select(e => $"{e.Id}{(e.Enabled ? "" : "-")}:{e.Value}:{e.Label}"))));
}
