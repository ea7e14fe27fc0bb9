using System.Security.Cryptography;
using Needle.Application.Exchanges;
using Needle.Application.Review;
using Needle.Core.Exchanges;
using Needle.Core.Jobs;
using Needle.Core.Triage;
using Needle.Matching.Lists;
using Needle.Testing.Images;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>
/// Feedback follows the undo window: a decision on an exchange-fed match queues its feedback only when it spreads, so
/// one undone inside its window never reaches the provider; one left alone queues it (once) with its send job.
/// </summary>
public abstract class ExchangeFeedbackUndoTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task AnUndoneDecisionQueuesNoFeedbackAndOneLeftAloneQueuesItOnceWhenItsWindowEnds()
    {
        await using var h = await CreateHarnessAsync();
        var image = TestImages.Generated(77);
        await h.Matchers.CreateListAsync("ncmec", HashListKind.Known, null, "admin");
        var exchange = new StoredExchange(Guid.NewGuid(), "ncmec", ExchangeKinds.Ncmec, "ncmec", "{}", new byte[] { 1 }, TimeSpan.FromHours(1), true, h.Test.Time.GetUtcNow());
        Assert.True(await h.Store.Exchanges.CreateAsync(exchange, new Needle.Core.Audit.AuditEntryDraft("admin", "exchange.create", "exchange/ncmec", null, null)));
        var token = Guid.NewGuid();
        var now = h.Test.Time.GetUtcNow();
        Assert.True(await h.Store.Exchanges.TryLeaseAsync(exchange.Id, token, "test/1/0", now, now.AddMinutes(5)));
        var entry = new HashListEntry(SignalTypes.Md5, Convert.ToHexStringLower(MD5.HashData(image)))
        {
            Label = "42-i1",
            Metadata = new Dictionary<string, string> { ["memberId"] = "42", ["mediaType"] = "image" },
        };
        await h.Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("42-i1", [entry])], "cp"), _ => new("exchange:ncmec", "list.entries.sync", "list/ncmec", null, null));
        await h.Matchers.CatchUpAsync();
        var report = await h.SubmitAndRunAsync(image);
        var file = report.Files[0];
        var match = Assert.Single(file.Matches, static m => m.ListName == "ncmec");

        var feedback = new ExchangeFeedbackService(h.Store, h.Matchers, h.Test.Time);
        using var decisions = new DecisionService(h.Store, h.Matchers, h.Options, h.Test.Time, feedback);
        await using var window = new DecisionUndoWindow(decisions, h.Store, h.Test.Time, TimeSpan.FromSeconds(10));

        // Decided not pertinent, then undone inside the window: nothing is queued, then or later.
        var pending = await window.DecideAsync(file.Id, DecisionCategory.NonPertinent, null, false, TriageHarness.Analyst, null);
        Assert.Empty(await h.Store.ExchangeFeedback.ForEntriesAsync([("ncmec", match.EntryId)]));
        Assert.NotNull(await window.UndoAsync(pending.DecisionId, TriageHarness.Analyst, null));
        h.Test.Time.Advance(TimeSpan.FromSeconds(30));
        await window.WhenIdleAsync();
        Assert.Empty(await h.Store.ExchangeFeedback.ForEntriesAsync([("ncmec", match.EntryId)]));
        Assert.DoesNotContain(JobKinds.SendExchangeFeedback, await LeaseAllAsync(h));

        // Decided again and left alone: the negative feedback is queued when the window ends, with what NCMEC needs.
        await window.DecideAsync(file.Id, DecisionCategory.NonPertinent, null, false, TriageHarness.Analyst, null);
        h.Test.Time.Advance(TimeSpan.FromSeconds(10));
        await window.WhenIdleAsync();
        var queued = Assert.Single(await h.Store.ExchangeFeedback.ForEntriesAsync([("ncmec", match.EntryId)]));
        Assert.Equal((FeedbackVerdict.Negative, FeedbackState.Queued, "42-i1", file.Id, ExchangeFeedbackService.DecisionOrigin), (queued.Feedback.Verdict, queued.State, queued.Feedback.ItemKey, queued.Feedback.FileId, queued.Feedback.Origin));
        Assert.Equal("""{"memberId":"42","id":"i1","fingerprint":"MD5"}""", queued.Feedback.Details);
        Assert.Contains(await h.Test.AuditEntriesAsync(), static a => a.Action == "exchange.feedback.queue" && a.Target == "exchange/ncmec" && a.Actor == TriageHarness.Analyst);
        Assert.Contains(JobKinds.SendExchangeFeedback, await LeaseAllAsync(h));

        // A revision to a category that says nothing about the listed material queues nothing more.
        await decisions.DecideAsync(file.Id, DecisionCategory.Comparison, null, false, TriageHarness.Analyst, null);
        Assert.Single(await h.Store.ExchangeFeedback.ForEntriesAsync([("ncmec", match.EntryId)]));
    }

    /// <summary>The kinds of every job due now (leased, so each is seen once).</summary>
    private static async Task<List<string>> LeaseAllAsync(TriageHarness h)
    {
        var kinds = new List<string>();
        while (await h.Store.Jobs.TryLeaseAsync("test-worker", TimeSpan.FromHours(1)) is { } job)
        {
            kinds.Add(job.Kind);
        }

        return kinds;
    }
}

public sealed class ExchangeFeedbackUndoTests_on_Sqlite() : ExchangeFeedbackUndoTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ExchangeFeedbackUndoTests_on_Postgres(PostgresServer server) : ExchangeFeedbackUndoTests(StoreBackend.Postgres(server));
