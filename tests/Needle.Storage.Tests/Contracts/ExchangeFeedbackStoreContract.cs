using Needle.Core.Exchanges;
using Needle.Core.Jobs;
using Needle.Core.Lists;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>
/// <see cref="Needle.Core.Storage.IExchangeFeedbackStore"/>: a list entry finds the provider's item it came from;
/// queuing is audited and queues the send job; the same verdict twice is one feedback, an opposite verdict cancels one
/// still queued; a lease excludes a second sender until it runs out, and only the live lease records the outcome (an
/// acknowledged feedback is never due again); a retry waits until its next attempt; a failure keeps its reason.
/// </summary>
public abstract class ExchangeFeedbackStoreContract : StoreContract
{
    private static HashListEntry Md5(int n) => new(SignalTypes.Md5, n.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)) { Label = $"42-e{n}" };

    private async Task<(StoredExchange Exchange, int EntryA, int EntryB)> FeedAsync()
    {
        Assert.True(await Store.Lists.CreateListAsync(new StoredList("known", HashListKind.Known, null, null, Time.GetUtcNow()), TestData.AdminAudit("list.create")));
        var exchange = new StoredExchange(Guid.NewGuid(), "ncmec", ExchangeKinds.Ncmec, "known", "{}", new byte[] { 1, 2, 3 }, TimeSpan.FromMinutes(30), true, Time.GetUtcNow());
        Assert.True(await Store.Exchanges.CreateAsync(exchange, TestData.AdminAudit("exchange.create", "exchange/ncmec")));
        var token = Guid.NewGuid();
        var now = Time.GetUtcNow();
        Assert.True(await Store.Exchanges.TryLeaseAsync(exchange.Id, token, "host/1/1", now, now.AddMinutes(5)));
        await Store.Exchanges.ApplyAsync(exchange.Id, token, new ExchangeBatch([new ExchangeItem("42-e1", [Md5(1)]), new ExchangeItem("42-e2", [Md5(2)])], "cp"), _ => TestData.AdminAudit("list.entries.sync"));
        var entries = await Store.Lists.GetEntriesAsync("known");
        return (exchange, entries.Single(static e => e.Value == Md5(1).Value).Id, entries.Single(static e => e.Value == Md5(2).Value).Id);
    }

    private NewExchangeFeedback Feedback(StoredExchange exchange, string item, int entry, FeedbackVerdict verdict) =>
        new(exchange.Id, item, verdict, "known", entry, "md5", Md5(entry).Value, Guid.NewGuid(), "decision", "analyst", """{"memberId":"42"}""", Time.GetUtcNow());

    private Task<(StoredExchangeFeedback Feedback, bool Queued)> QueueAsync(NewExchangeFeedback feedback) =>
        Store.ExchangeFeedback.QueueAsync(feedback, f => TestData.AdminAudit("exchange.feedback.queue", "exchange/ncmec", $$"""{"feedback":{{f.Id}}}"""));

    [Fact]
    public async Task Queuing_finds_the_item_is_audited_queues_the_job_and_keeps_one_feedback_per_verdict()
    {
        var (exchange, a, b) = await FeedAsync();
        Assert.Equal("42-e1", await Store.ExchangeFeedback.FindItemAsync(exchange.Id, a));
        Assert.Null(await Store.ExchangeFeedback.FindItemAsync(exchange.Id, 999));
        Assert.Null(await Store.ExchangeFeedback.FindItemAsync(Guid.NewGuid(), a));

        var (negative, queued) = await QueueAsync(Feedback(exchange, "42-e1", a, FeedbackVerdict.Negative));
        Assert.True(queued);
        Assert.Equal(("ncmec", ExchangeKinds.Ncmec, FeedbackState.Queued, 0, FeedbackVerdict.Negative, "42-e1"), (negative.Exchange, negative.Kind, negative.State, negative.Attempts, negative.Feedback.Verdict, negative.Feedback.ItemKey));
        Assert.Equal("""{"memberId":"42"}""", negative.Feedback.Details);
        var job = await LeaseAsync();
        Assert.Equal((JobKinds.SendExchangeFeedback, Guid.Empty), (job.Kind, job.SubjectId));

        // The same verdict again (from another file): nothing new.
        var (again, queuedAgain) = await QueueAsync(Feedback(exchange, "42-e1", a, FeedbackVerdict.Negative));
        Assert.False(queuedAgain);
        Assert.Equal(negative.Id, again.Id);

        // The opposite verdict while the first is still queued: the provider will hear only the later one.
        var (affirmative, _) = await QueueAsync(Feedback(exchange, "42-e1", a, FeedbackVerdict.Affirmative));
        var rows = await Store.ExchangeFeedback.ForEntriesAsync([("known", a), ("known", b)]);
        Assert.Equal([(negative.Id, FeedbackState.Cancelled), (affirmative.Id, FeedbackState.Queued)], rows.Select(static r => (r.Id, r.State)));
        Assert.Contains("replaced", rows[0].Error, StringComparison.Ordinal);
        Assert.Equal([affirmative.Id, negative.Id], (await Store.ExchangeFeedback.ForExchangeAsync(exchange.Id, 10)).Select(static r => r.Id));
        Assert.Equal(2, (await Store.Audit.ReadAsync(0, 1000)).Count(static e => e.Action == "exchange.feedback.queue"));
    }

    [Fact]
    public async Task A_lease_excludes_a_second_sender_and_only_the_live_lease_acknowledges_once()
    {
        var (exchange, a, _) = await FeedAsync();
        var (queued, _) = await QueueAsync(Feedback(exchange, "42-e1", a, FeedbackVerdict.Negative));
        var now = Time.GetUtcNow();
        Assert.Equal(now, await Store.ExchangeFeedback.NextDueAsync());
        var first = Guid.NewGuid();
        var leased = await Store.ExchangeFeedback.TryLeaseAsync(first, "host/1/0", now, now.AddMinutes(5));
        Assert.Equal((queued.Id, FeedbackState.Sending, 1), (leased!.Id, leased.State, leased.Attempts));
        Assert.Null(await Store.ExchangeFeedback.TryLeaseAsync(Guid.NewGuid(), "host/2/0", now, now.AddMinutes(5)));

        // The first sender died: once its lease ran out another takes the feedback, and the old lease writes nothing.
        Time.Advance(TimeSpan.FromMinutes(6));
        var later = Time.GetUtcNow();
        var second = Guid.NewGuid();
        Assert.Equal(2, (await Store.ExchangeFeedback.TryLeaseAsync(second, "host/2/0", later, later.AddMinutes(5)))!.Attempts);
        Assert.False(await Store.ExchangeFeedback.AcknowledgeAsync(queued.Id, first, later, TestData.AdminAudit("exchange.feedback.sent")));
        Assert.True(await Store.ExchangeFeedback.AcknowledgeAsync(queued.Id, second, later, TestData.AdminAudit("exchange.feedback.sent")));
        Assert.False(await Store.ExchangeFeedback.AcknowledgeAsync(queued.Id, second, later, TestData.AdminAudit("exchange.feedback.sent")));

        // Acknowledged: never due again, and the same verdict is not queued again.
        Time.Advance(TimeSpan.FromHours(1));
        Assert.Null(await Store.ExchangeFeedback.TryLeaseAsync(Guid.NewGuid(), "host/3/0", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(5)));
        Assert.Null(await Store.ExchangeFeedback.NextDueAsync());
        var row = (await Store.ExchangeFeedback.ForEntriesAsync([("known", a)])).Single();
        Assert.Equal((FeedbackState.Sent, later, (string?)null), (row.State, row.SentAt, row.Error));
        Assert.False((await QueueAsync(Feedback(exchange, "42-e1", a, FeedbackVerdict.Negative))).Queued);
        Assert.Equal(1, (await Store.Audit.ReadAsync(0, 1000)).Count(static e => e.Action == "exchange.feedback.sent"));
    }

    [Fact]
    public async Task A_retry_waits_for_its_next_attempt_and_a_failure_keeps_its_reason()
    {
        var (exchange, a, b) = await FeedAsync();
        var (one, _) = await QueueAsync(Feedback(exchange, "42-e1", a, FeedbackVerdict.Affirmative));
        var (two, _) = await QueueAsync(Feedback(exchange, "42-e2", b, FeedbackVerdict.Negative));
        var now = Time.GetUtcNow();
        var token = Guid.NewGuid();
        Assert.Equal(one.Id, (await Store.ExchangeFeedback.TryLeaseAsync(token, "host/1/0", now, now.AddMinutes(5)))!.Id);
        Assert.True(await Store.ExchangeFeedback.RetryAsync(one.Id, token, now.AddMinutes(2), "PUT answered 500"));
        Assert.False(await Store.ExchangeFeedback.RetryAsync(one.Id, token, now.AddMinutes(2), "again"));

        // The other is due now; the retried one only at its next attempt.
        var other = Guid.NewGuid();
        Assert.Equal(two.Id, (await Store.ExchangeFeedback.TryLeaseAsync(other, "host/1/0", now, now.AddMinutes(5)))!.Id);
        Assert.Null(await Store.ExchangeFeedback.TryLeaseAsync(Guid.NewGuid(), "host/1/0", now, now.AddMinutes(5)));
        Assert.Equal(now.AddMinutes(2), await Store.ExchangeFeedback.NextDueAsync());
        Assert.True(await Store.ExchangeFeedback.FailAsync(two.Id, other, "PUT answered 400 Bad Request: unknown entry", TestData.AdminAudit("exchange.feedback.failed")));
        Assert.False(await Store.ExchangeFeedback.FailAsync(two.Id, other, "again", TestData.AdminAudit("exchange.feedback.failed")));

        Time.Advance(TimeSpan.FromMinutes(2));
        var retried = await Store.ExchangeFeedback.TryLeaseAsync(Guid.NewGuid(), "host/1/0", Time.GetUtcNow(), Time.GetUtcNow().AddMinutes(5));
        Assert.Equal((one.Id, 2, "PUT answered 500"), (retried!.Id, retried.Attempts, retried.Error));
        var rows = await Store.ExchangeFeedback.ForEntriesAsync([("known", a), ("known", b)]);
        Assert.Equal([(FeedbackState.Sending, "PUT answered 500"), (FeedbackState.Failed, "PUT answered 400 Bad Request: unknown entry")], rows.Select(static r => (r.State, r.Error!)));
        Assert.Equal(1, (await Store.Audit.ReadAsync(0, 1000)).Count(static e => e.Action == "exchange.feedback.failed"));
    }
}
