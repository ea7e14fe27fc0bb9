using System.Text.Json;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Application.Processing;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Matching.Lists;
using Needle.Testing;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// The flood guard end to end: real photos hashed and matched by the report processor on a real store; one list entry
/// suddenly matching report after report is quarantined on every node, the others keep matching, and a release brings
/// it back with its rate as its baseline.
/// </summary>
public abstract class FloodGuardTests(StoreBackend backend) : StoreBackedTests(backend)
{
    private static readonly Guid Submitter = Guid.Parse("0195a000-0000-7000-8000-000000000003");

    // Copies of the tiny rose (the entry that floods) and of the video frame (an entry that must keep matching).
    private static readonly string[] RoseCopies =
        ["variants/p10__watermark.png", "variants/p10__flip_h.png", "variants/p10__gamma_1.5.png", "variants/p10__grayscale.png", "variants/p10__jpeg_q50.jpg", "variants/p10__resize_50.png"];

    private static readonly FloodGuardOptions Rule = new() { Scope = FloodGuardScope.AllLists, Window = TimeSpan.FromHours(1), History = TimeSpan.FromDays(7), MinMatches = 3, Ratio = 10 };

    /// <summary>Submits one file as a report and processes it (leaving other jobs, such as triage, aside); returns its stored file.</summary>
    private static async Task<StoredFile> SubmitAndProcessAsync(TestStore t, ReportProcessor processor, string file)
    {
        var intake = new ReportIntake(t.Store, t.Protector, t.Time, new IntakeOptions());
        var media = new IncomingMedia("file", Path.GetFileName(file), null, File.ReadAllBytes(TestPaths.PdqFile(file)));
        var submitted = await intake.SubmitAsync(new ReportSubmission(), [media], Submitter, null, null);
        while (true)
        {
            var job = await t.Store.Jobs.TryLeaseAsync("worker", TimeSpan.FromMinutes(5)) ?? throw new InvalidOperationException("The report's job is missing.");
            if (job.Kind == JobKinds.ProcessReport && job.SubjectId == submitted.ReportId)
            {
                Assert.Equal(ProcessOutcome.Completed, await processor.ProcessAsync(job));
                return Assert.Single((await t.Store.Reports.GetAsync(submitted.ReportId))!.Files);
            }
        }
    }

    [Fact]
    public async Task An_entry_suddenly_matching_many_reports_is_quarantined_on_every_node_and_released_by_an_admin()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        await host.CreateListAsync("feed", HashListKind.Known, null, "admin");
        var entries = await host.AddEntriesAsync("feed", TestLists.Import(TestLists.PhotoCsv("p10_rose_tiny.png", "p08_video_frame.png")), "admin");
        var rose = entries.Single(e => e.Label!.EndsWith("p10_rose_tiny.png", StringComparison.Ordinal)).Id;
        var frame = entries.Single(e => e.Label!.EndsWith("p08_video_frame.png", StringComparison.Ordinal)).Id;

        // A second node on the same database, following the change log.
        using var otherNode = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        var processor = new ReportProcessor(t.Store, host, t.Protector, t.Time, new ProcessorOptions { FloodGuard = Rule });

        // History: the rose matched once two days ago.
        Assert.Contains((await SubmitAndProcessAsync(t, processor, RoseCopies[0])).Matches, m => m.EntryId == rose);
        t.Time.Advance(TimeSpan.FromDays(2));

        // Then it matches report after report: the third in the hour crosses the rule (3 files, over 10 x its baseline).
        for (var i = 1; i <= 3; i++)
        {
            var file = await SubmitAndProcessAsync(t, processor, RoseCopies[i]);
            Assert.Contains(file.Matches, m => m.EntryId == rose); // matches already recorded stay
            t.Time.Advance(TimeSpan.FromMinutes(1));
        }

        var quarantined = Assert.Single(await host.GetQuarantinedAsync("feed"));
        Assert.Equal((rose, 3L, Rule.Window), (quarantined.EntryId, quarantined.Matches, quarantined.Window));
        Assert.InRange(quarantined.Baseline, 1.0 / 168, 1.0 / 166); // one file in the 167 windows of history before this one
        Assert.True(host.FindList("feed")!.TryGet(rose, out var entry));
        Assert.False(entry.Enabled); // still in the list, disabled

        // Later reports no longer match it; the other entry is unaffected.
        Assert.DoesNotContain((await SubmitAndProcessAsync(t, processor, RoseCopies[4])).Matches, m => m.EntryId == rose);
        Assert.Contains((await SubmitAndProcessAsync(t, processor, "variants/p08__jpeg_q50.jpg")).Matches, m => m.EntryId == frame);

        // The other node drops it too once it reads the change log.
        var roseSignals = TestLists.SignalsOf(RoseCopies[5]);
        Assert.Contains(otherNode.Match(roseSignals).Matches, m => m.Entry.Id == rose);
        await otherNode.CatchUpAsync();
        Assert.DoesNotContain(otherNode.Match(roseSignals).Matches, m => m.Entry.Id == rose);
        Assert.Contains(otherNode.Match(TestLists.SignalsOf("variants/p08__jpeg_q50.jpg")).Matches, m => m.Entry.Id == frame);

        // Audited once, by the guard, with the rate.
        var audit = await t.Store.Audit.ReadAsync(0, 10_000);
        var record = Assert.Single(audit, a => a.Action == "list.entry.quarantine");
        Assert.Equal((FloodGuard.Actor, $"list/feed/{rose}"), (record.Actor, record.Target));
        Assert.Equal(3, JsonDocument.Parse(record.Details!).RootElement.GetProperty("matches").GetInt64());

        // An admin releases it: it matches again, and its quarantine rate is its baseline now (one more match is no surge).
        Assert.True(await host.ReleaseAsync("feed", rose, "admin", "192.0.2.7"));
        Assert.False(await host.ReleaseAsync("feed", rose, "admin"));
        Assert.Empty(await host.GetQuarantinedAsync("feed"));
        Assert.Contains((await SubmitAndProcessAsync(t, processor, RoseCopies[5])).Matches, m => m.EntryId == rose);
        Assert.Empty(await host.GetQuarantinedAsync("feed"));
        await otherNode.CatchUpAsync();
        Assert.Contains(otherNode.Match(roseSignals).Matches, m => m.Entry.Id == rose);
        audit = await t.Store.Audit.ReadAsync(0, 10_000);
        Assert.Single(audit, a => a.Action == "list.entry.quarantine");
        Assert.Equal(("admin", "192.0.2.7"), Assert.Single(audit, a => a.Action == "list.entry.release") is var r ? (r.Actor, r.RemoteAddress) : default);
    }

    [Fact]
    public async Task The_rule_compares_the_window_with_the_history_per_window_and_a_release_rate()
    {
        await using var t = await CreateStoreAsync();
        using var host = await HashListService.LoadAsync(t.Store.Lists, t.Time);
        var guard = new FloodGuard(t.Store.Lists, host, t.Time, Rule with { MinMatches = 100, Ratio = 10 });
        static Core.Lists.EntryMatchRate Rate(long window, long history, long? released = null, bool quarantined = false) =>
            new("feed", 1, window, history, released, quarantined);

        // A week of history is 167 windows before this one: 2 files an hour is a baseline of 2.
        Assert.Null(guard.Baseline(Rate(99, 0)));                 // under the minimum
        Assert.Equal(0, guard.Baseline(Rate(100, 0)));             // a new entry's first surge
        Assert.Equal(2, guard.Baseline(Rate(21 * 10, 334)));       // 210 files against a usual 2: a surge
        Assert.Null(guard.Baseline(Rate(200, 334 * 10)));          // 200 against a usual 20: not
        Assert.Null(guard.Baseline(Rate(500, 0, released: 100)));  // released at 100 an hour: 500 is within 10 x
        Assert.Equal(100, guard.Baseline(Rate(1001, 0, released: 100)));
        Assert.Null(guard.Baseline(Rate(5000, 0, quarantined: true)));

        Assert.Throws<ArgumentOutOfRangeException>(() => new FloodGuard(t.Store.Lists, host, t.Time, Rule with { Window = TimeSpan.FromMinutes(10) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FloodGuard(t.Store.Lists, host, t.Time, Rule with { History = Rule.Window }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FloodGuard(t.Store.Lists, host, t.Time, Rule with { Ratio = 0.5 }));
    }
}

public sealed class FloodGuardTests_on_Sqlite() : FloodGuardTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class FloodGuardTests_on_Postgres(PostgresServer server) : FloodGuardTests(StoreBackend.Postgres(server));
