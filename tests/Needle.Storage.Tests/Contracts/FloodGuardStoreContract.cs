using Needle.Core.Lists;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>
/// The flood guard's part of the list store: match counts added when a report is completed, read back per window and
/// history; quarantine (once), release, and what goes with a removed entry or list.
/// </summary>
public abstract class FloodGuardStoreContract : StoreContract
{
    private static readonly TimeSpan Window = TimeSpan.FromHours(1);
    private static readonly TimeSpan History = TimeSpan.FromDays(7);

    private async Task CompleteOneAsync(params Core.Reports.StoredMatch[] matches)
    {
        var report = TestData.SmallReport(Time.GetUtcNow(), files: 1);
        await SubmitAsync(report);
        // Earlier reports' triage jobs may come first: they are leased and left aside.
        var job = await LeaseAsync();
        while (job.Kind != Core.Jobs.JobKinds.ProcessReport)
        {
            job = await LeaseAsync();
        }

        Assert.True(await Store.Jobs.CompleteReportAsync(job, TestData.Results(report, matches)));
    }

    private Task<IReadOnlyList<EntryMatchRate>> RatesAsync(params (string, int)[] entries)
    {
        var now = Time.GetUtcNow();
        return Store.Lists.GetMatchRatesAsync(entries, now - Window, now - History);
    }

    private async Task<List<HashListEntry>> FeedAsync()
    {
        await Store.Lists.CreateListAsync(new StoredList("feed", HashListKind.Known, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create"));
        return [.. await Store.Lists.AddEntriesAsync("feed", [new HashListEntry(SignalTypes.Md5, new string('a', 32)), new HashListEntry(SignalTypes.Md5, new string('b', 32))], TestData.EntriesAudit)];
    }

    [Fact]
    public async Task Completing_a_report_counts_the_files_each_entry_matched_by_window_and_history()
    {
        await FeedAsync();

        // Two signals of one file matching entry 1 count one file.
        await CompleteOneAsync(TestData.Match("feed", 1), TestData.Match("feed", 1, distance: 3), TestData.Match("feed", 2));
        await CompleteOneAsync(TestData.Match("feed", 1));
        await CompleteOneAsync(TestData.Match("feed", 1));
        var rates = await RatesAsync(("feed", 1), ("feed", 2), ("feed", 9), ("other", 1));
        Assert.Equal([(3L, 0L), (1L, 0L), (0L, 0L), (0L, 0L)], rates.Select(r => (r.InWindow, r.InHistory)));
        Assert.All(rates, r => Assert.False(r.Quarantined));
        Assert.All(rates, r => Assert.Null(r.ReleasedRate));
        Assert.Equal([("feed", 1), ("feed", 2), ("feed", 9), ("other", 1)], rates.Select(r => (r.ListName, r.EntryId)));

        // Two hours on, those are history and the window holds only the new match.
        Time.Advance(TimeSpan.FromHours(2));
        await CompleteOneAsync(TestData.Match("feed", 1));
        rates = await RatesAsync(("feed", 1), ("feed", 2));
        Assert.Equal([(1L, 3L), (0L, 1L)], rates.Select(r => (r.InWindow, r.InHistory)));

        // Eight days on, they are past the history too.
        Time.Advance(TimeSpan.FromDays(8));
        rates = await RatesAsync(("feed", 1));
        Assert.Equal((0L, 0L), (rates[0].InWindow, rates[0].InHistory));
    }

    [Fact]
    public async Task An_entry_is_quarantined_once_disabled_logged_and_audited_and_release_restores_it_with_its_rate()
    {
        var entries = await FeedAsync();
        var start = (await Store.Lists.ReadChangesAsync(0, 1000))[^1].Sequence;
        var quarantine = new EntryQuarantine("feed", entries[0].Id, 150, 2.5, Window, Time.GetUtcNow());

        Assert.True(await Store.Lists.QuarantineEntryAsync(quarantine, TestData.AdminAudit("list.entry.quarantine", "list/feed/1")));
        Assert.False(await Store.Lists.QuarantineEntryAsync(quarantine with { Matches = 999 }, TestData.AdminAudit("list.entry.quarantine", "list/feed/1")));
        Assert.False(await Store.Lists.QuarantineEntryAsync(quarantine with { EntryId = 77 }, TestData.AdminAudit("list.entry.quarantine", "list/feed/77")));
        Assert.False(await Store.Lists.QuarantineEntryAsync(quarantine with { ListName = "nope" }, TestData.AdminAudit("list.entry.quarantine", "list/nope/1")));

        var stored = await Store.Lists.GetEntriesAsync("feed");
        Assert.False(stored[0].Enabled);
        Assert.True(stored[1].Enabled);
        Assert.Equal([quarantine], await Store.Lists.GetQuarantinedAsync("feed"));
        Assert.Empty(await Store.Lists.GetQuarantinedAsync("other"));
        Assert.True((await RatesAsync(("feed", 1)))[0].Quarantined);

        // One change-log row (every node's matcher drops it) and one audit entry.
        var change = Assert.Single(await Store.Lists.ReadChangesAsync(start, 100));
        Assert.Equal((ListChangeKind.EntriesChanged, 1, 1), (change.Kind, change.FirstEntryId, change.LastEntryId));
        Assert.False(Assert.Single(change.Entries).Enabled);
        var audit = await Store.Audit.ReadAsync(0, 1000);
        Assert.Single(audit, a => a.Action == "list.entry.quarantine");

        Assert.True(await Store.Lists.ReleaseEntryAsync("feed", 1, "admin-key", TestData.AdminAudit("list.entry.release", "list/feed/1")));
        Assert.False(await Store.Lists.ReleaseEntryAsync("feed", 1, "admin-key", TestData.AdminAudit("list.entry.release", "list/feed/1")));
        Assert.False(await Store.Lists.ReleaseEntryAsync("feed", 2, "admin-key", TestData.AdminAudit("list.entry.release", "list/feed/2")));
        Assert.True((await Store.Lists.GetEntriesAsync("feed"))[0].Enabled);
        Assert.Empty(await Store.Lists.GetQuarantinedAsync("feed"));
        var rate = (await RatesAsync(("feed", 1)))[0];
        Assert.False(rate.Quarantined);
        Assert.Equal(150, rate.ReleasedRate);
        Assert.Single(await Store.Audit.ReadAsync(0, 1000), a => a.Action == "list.entry.release");
        var released = Assert.Single(await Store.Lists.ReadChangesAsync(change.Sequence, 100));
        Assert.True(Assert.Single(released.Entries).Enabled);

        // Quarantined again after a release: a new record, audited again.
        Assert.True(await Store.Lists.QuarantineEntryAsync(quarantine with { Matches = 2000 }, TestData.AdminAudit("list.entry.quarantine", "list/feed/1")));
        Assert.Equal(2000, Assert.Single(await Store.Lists.GetQuarantinedAsync("feed")).Matches);

        // Enabling it the ordinary way releases it too.
        Assert.True(await Store.Lists.SetEntryEnabledAsync("feed", 1, true, TestData.AdminAudit("list.entry.enable", "list/feed/1")));
        Assert.Empty(await Store.Lists.GetQuarantinedAsync("feed"));
        Assert.Equal(2000, (await RatesAsync(("feed", 1)))[0].ReleasedRate);
    }

    [Fact]
    public async Task Removing_an_entry_or_its_list_clears_its_counts_and_quarantine()
    {
        await FeedAsync();
        await CompleteOneAsync(TestData.Match("feed", 1), TestData.Match("feed", 2));
        Assert.True(await Store.Lists.QuarantineEntryAsync(new EntryQuarantine("feed", 2, 1, 0, Window, Time.GetUtcNow()), TestData.AdminAudit("list.entry.quarantine")));

        Assert.True(await Store.Lists.RemoveEntryAsync("feed", 2, TestData.AdminAudit("list.entry.remove")));
        Assert.Empty(await Store.Lists.GetQuarantinedAsync("feed"));
        Assert.Equal([1L, 0L], (await RatesAsync(("feed", 1), ("feed", 2))).Select(r => r.InWindow));

        // A list made again under the same name restarts its ids: it must not inherit the old counts.
        Assert.True(await Store.Lists.DeleteListAsync("feed", TestData.AdminAudit("list.delete")));
        await FeedAsync();
        Assert.Equal([0L, 0L], (await RatesAsync(("feed", 1), ("feed", 2))).Select(r => r.InWindow));
    }
}
