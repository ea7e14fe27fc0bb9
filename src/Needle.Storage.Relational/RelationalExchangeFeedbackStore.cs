using System.Data.Common;
using Needle.Core.Audit;
using Needle.Core.Exchanges;
using Needle.Core.Jobs;
using Needle.Core.Storage;

namespace Needle.Storage.Relational;

/// <summary>
/// The feedback queue: one row per feedback, leased by one sender at a time (the lease's end doubles as the row's next
/// due time, so a sender that died gives it back by the clock alone). Queuing writes the row, its audit entry and the
/// send job in one transaction; every outcome is conditional on the live lease.
/// </summary>
internal sealed class RelationalExchangeFeedbackStore(RelationalDatabase database) : IExchangeFeedbackStore
{
    private const string Columns = """
        f.id, x.name, x.kind, f.exchange_id, f.item_key, f.verdict, f.list_name, f.entry_id, f.signal, f.value, f.file_id, f.origin, f.actor, f.details,
        f.created_at, f.state, f.attempts, f.next_attempt_at, f.error, f.sent_at
        """;

    private const string From = "exchange_feedback f JOIN exchanges x ON x.id = f.exchange_id";

    /// <summary>The lock that makes queuings on one exchange take turns (the "latest verdict" check sees the one before).</summary>
    private const string QueueLock = "exchange-feedback";

    private readonly SqlDialect _dialect = database.Dialect;

    public Task<string?> FindItemAsync(Guid exchangeId, int entryId, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) => (string?)await _dialect
                .Command(connection, transaction, "SELECT item_key FROM exchange_items WHERE exchange_id = @id AND entry_id = @entry;")
                .With("@id", exchangeId)
                .With("@entry", entryId)
                .ScalarAsync(ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<(StoredExchangeFeedback Feedback, bool Queued)> QueueAsync(NewExchangeFeedback feedback, Func<StoredExchangeFeedback, AuditEntryDraft> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                await _dialect.LockJobSubjectAsync(connection, transaction, QueueLock, feedback.ExchangeId, ct).ConfigureAwait(false);
                var latest = await _dialect
                    .Command(connection, transaction, """
                        SELECT id, verdict, state FROM exchange_feedback
                        WHERE exchange_id = @id AND item_key = @key AND state IN (0, 1, 2)
                        ORDER BY id DESC LIMIT 1;
                        """)
                    .With("@id", feedback.ExchangeId)
                    .With("@key", feedback.ItemKey)
                    .FirstOrDefaultAsync(static r => (Id: r.GetInt64(0), Verdict: (FeedbackVerdict)r.GetInt32(1), State: (FeedbackState)r.GetInt32(2)), ct)
                    .ConfigureAwait(false);
                if (latest.Id != 0 && latest.Verdict == feedback.Verdict)
                {
                    return (await ReadAsync(connection, transaction, latest.Id, ct).ConfigureAwait(false), false);
                }

                if (latest.Id != 0 && latest.State == FeedbackState.Queued)
                {
                    // Not sent yet: the provider hears only the later verdict.
                    await _dialect
                        .Command(connection, transaction, "UPDATE exchange_feedback SET state = 4, error = @error WHERE id = @id AND state = 0;")
                        .With("@id", latest.Id)
                        .With("@error", $"replaced by a later {Name(feedback.Verdict)} verdict before it was sent")
                        .RunAsync(ct)
                        .ConfigureAwait(false);
                }

                var id = Convert.ToInt64(
                    await _dialect
                        .Command(connection, transaction, """
                            INSERT INTO exchange_feedback (exchange_id, item_key, verdict, list_name, entry_id, signal, value, file_id, origin, actor, details, created_at, state, attempts, next_attempt_at)
                            VALUES (@exchange, @key, @verdict, @list, @entry, @signal, @value, @file, @origin, @actor, @details, @at, 0, 0, @at)
                            RETURNING id;
                            """)
                        .With("@exchange", feedback.ExchangeId)
                        .With("@key", feedback.ItemKey)
                        .With("@verdict", (int)feedback.Verdict)
                        .With("@list", feedback.ListName)
                        .With("@entry", feedback.EntryId)
                        .With("@signal", feedback.SignalType)
                        .With("@value", feedback.Value)
                        .With("@file", feedback.FileId)
                        .With("@origin", feedback.Origin)
                        .With("@actor", feedback.Actor)
                        .With("@details", feedback.Details)
                        .With("@at", feedback.At)
                        .ScalarAsync(ct)
                        .ConfigureAwait(false),
                    System.Globalization.CultureInfo.InvariantCulture);
                var stored = await ReadAsync(connection, transaction, id, ct).ConfigureAwait(false);
                var draft = audit(stored) ?? throw new InvalidOperationException("The audit callback returned no entry.");
                await RelationalAuditLog.AppendAsync(database, connection, transaction, draft, ct).ConfigureAwait(false);
                await RelationalJobQueue.EnqueueAsync(database, connection, transaction, JobKinds.SendExchangeFeedback, Guid.Empty, feedback.At, ct).ConfigureAwait(false);
                return (stored, true);
            },
            cancellationToken);
    }

    public Task<StoredExchangeFeedback?> TryLeaseAsync(Guid token, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // The outer conditions are checked again on the row as it is when locked: a second sender that picked the
                // same row in the meantime finds it taken and leases nothing.
                var leased = await _dialect
                    .Command(connection, transaction, $"""
                        UPDATE exchange_feedback SET state = 1, lease_token = @token, leased_by = @holder, leased_until = @until, next_attempt_at = @until,
                            attempts = attempts + 1
                        WHERE id = (SELECT id FROM exchange_feedback WHERE state IN (0, 1) AND next_attempt_at <= @now ORDER BY next_attempt_at, id LIMIT 1{_dialect.ForUpdateSkipLocked})
                            AND state IN (0, 1) AND next_attempt_at <= @now
                        RETURNING id;
                        """)
                    .With("@token", token)
                    .With("@holder", holder)
                    .With("@until", until)
                    .With("@now", now)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                return leased is null ? null : await ReadAsync(connection, transaction, Convert.ToInt64(leased, System.Globalization.CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
            },
            cancellationToken);

    public Task<bool> AcknowledgeAsync(long id, Guid token, DateTimeOffset now, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var done = await _dialect
                    .Command(connection, transaction, """
                        UPDATE exchange_feedback SET state = 2, sent_at = @now, error = NULL, lease_token = NULL, leased_by = NULL, leased_until = NULL
                        WHERE id = @id AND state = 1 AND lease_token = @token;
                        """)
                    .With("@id", id)
                    .With("@token", token)
                    .With("@now", now)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (done)
                {
                    await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                }

                return done;
            },
            cancellationToken);
    }

    public Task<bool> RetryAsync(long id, Guid token, DateTimeOffset nextAttempt, string reason, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, """
                    UPDATE exchange_feedback SET state = 0, next_attempt_at = @next, error = @error, lease_token = NULL, leased_by = NULL, leased_until = NULL
                    WHERE id = @id AND state = 1 AND lease_token = @token;
                    """)
                .With("@id", id)
                .With("@token", token)
                .With("@next", nextAttempt)
                .With("@error", reason)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<bool> FailAsync(long id, Guid token, string reason, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var done = await _dialect
                    .Command(connection, transaction, """
                        UPDATE exchange_feedback SET state = 3, error = @error, lease_token = NULL, leased_by = NULL, leased_until = NULL
                        WHERE id = @id AND state = 1 AND lease_token = @token;
                        """)
                    .With("@id", id)
                    .With("@token", token)
                    .With("@error", reason)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (done)
                {
                    await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, ct).ConfigureAwait(false);
                }

                return done;
            },
            cancellationToken);
    }

    public Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                var next = await _dialect
                    .Command(connection, transaction, "SELECT MIN(next_attempt_at) FROM exchange_feedback WHERE state IN (0, 1);")
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                return next is null or DBNull ? (DateTimeOffset?)null : new DateTimeOffset(Convert.ToInt64(next, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.Zero);
            },
            cancellationToken);

    public Task<IReadOnlyList<StoredExchangeFeedback>> ForEntriesAsync(IReadOnlyList<(string List, int EntryId)> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        return database.ReadAsync<IReadOnlyList<StoredExchangeFeedback>>(
            async (connection, transaction, ct) =>
            {
                var rows = new List<StoredExchangeFeedback>();
                foreach (var (list, entryId) in entries.Distinct())
                {
                    rows.AddRange(await _dialect
                        .Command(connection, transaction, $"SELECT {Columns} FROM {From} WHERE f.list_name = @list AND f.entry_id = @entry ORDER BY f.id;")
                        .With("@list", list)
                        .With("@entry", entryId)
                        .ListAsync(Read, ct)
                        .ConfigureAwait(false));
                }

                rows.Sort(static (a, b) => a.Id.CompareTo(b.Id));
                return rows;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<StoredExchangeFeedback>> ForExchangeAsync(Guid exchangeId, int limit, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<StoredExchangeFeedback>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM {From} WHERE f.exchange_id = @id ORDER BY f.id DESC LIMIT @limit;")
                .With("@id", exchangeId)
                .With("@limit", limit)
                .ListAsync(Read, ct)
                .ConfigureAwait(false),
            cancellationToken);

    private async Task<StoredExchangeFeedback> ReadAsync(DbConnection connection, DbTransaction transaction, long id, CancellationToken ct) =>
        await _dialect
            .Command(connection, transaction, $"SELECT {Columns} FROM {From} WHERE f.id = @id;")
            .With("@id", id)
            .FirstOrDefaultAsync(Read, ct)
            .ConfigureAwait(false) ?? throw new InvalidOperationException($"Feedback {id} vanished inside its transaction.");

    private static StoredExchangeFeedback Read(DbDataReader r) => new(
        r.GetInt64(0),
        r.GetString(1),
        r.GetString(2),
        new NewExchangeFeedback(
            r.GetGuid(3), r.GetString(4), (FeedbackVerdict)r.GetInt32(5), r.GetString(6), r.GetInt32(7), r.GetString(8), r.GetString(9), r.GetGuid(10), r.GetString(11),
            r.GetString(12), r.GetString(13), r.GetInstant(14)),
        (FeedbackState)r.GetInt32(15),
        r.GetInt32(16),
        r.GetInstant(17),
        r.GetStringOrNull(18),
        r.GetInstantOrNull(19));

    private static string Name(FeedbackVerdict verdict) => verdict == FeedbackVerdict.Affirmative ? "affirmative" : "negative";
}
