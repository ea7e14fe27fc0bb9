using System.Data.Common;
using System.Globalization;
using Needle.Core.Audit;
using Needle.Core.Exchanges;
using Needle.Core.Lists;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Storage.Relational;

/// <summary>
/// Exchanges, their fetch state and lease, and their items' list entries. A batch is applied in one transaction with
/// its checkpoint, its list change log rows and its audit entry, conditional on the fetch's lease (locked for the
/// transaction where writers are concurrent), so a fetch killed at any point resumes from a checkpoint that matches
/// exactly what the list holds.
/// </summary>
internal sealed class RelationalExchangeStore(RelationalDatabase database, RelationalListStore lists) : IExchangeStore
{
    private const string Columns = "id, name, kind, list_name, settings, credentials, interval_ticks, enabled, created_at";

    private readonly SqlDialect _dialect = database.Dialect;

    public Task<IReadOnlyList<StoredExchange>> ListAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<StoredExchange>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM exchanges ORDER BY {_dialect.OrderByBytes("name")};")
                .ListAsync(Read, ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<StoredExchange?> GetAsync(string name, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM exchanges WHERE name = @name;")
                .With("@name", name)
                .FirstOrDefaultAsync(Read, ct),
            cancellationToken);

    public Task<StoredExchange?> GetAsync(Guid id, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, $"SELECT {Columns} FROM exchanges WHERE id = @id;")
                .With("@id", id)
                .FirstOrDefaultAsync(Read, ct),
            cancellationToken);

    public Task<bool> CreateAsync(StoredExchange exchange, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var created = await _dialect
                    .Command(connection, transaction, $"""
                        INSERT INTO exchanges ({Columns}, next_fetch_at)
                        VALUES (@id, @name, @kind, @list, @settings, @credentials, @interval, @enabled, @created, @created)
                        ON CONFLICT (name) DO NOTHING;
                        """)
                    .With("@id", exchange.Id)
                    .With("@name", exchange.Name)
                    .With("@kind", exchange.Kind)
                    .With("@list", exchange.ListName)
                    .With("@settings", exchange.Settings)
                    .With("@credentials", exchange.Credentials.ToArray())
                    .With("@interval", exchange.Interval.Ticks)
                    .With("@enabled", exchange.Enabled)
                    .With("@created", exchange.CreatedAt)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                return await AuditIfAsync(connection, transaction, created, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> UpdateAsync(StoredExchange exchange, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(exchange);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var updated = await _dialect
                    .Command(connection, transaction, """
                        UPDATE exchanges SET settings = @settings, credentials = @credentials, interval_ticks = @interval, enabled = @enabled,
                            next_fetch_at = CASE WHEN next_fetch_at > @now + @interval THEN @now + @interval ELSE next_fetch_at END
                        WHERE id = @id;
                        """)
                    .With("@id", exchange.Id)
                    .With("@settings", exchange.Settings)
                    .With("@credentials", exchange.Credentials.ToArray())
                    .With("@interval", exchange.Interval.Ticks)
                    .With("@enabled", exchange.Enabled)
                    .With("@now", database.Time.GetUtcNow())
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                return await AuditIfAsync(connection, transaction, updated, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> DeleteAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // Its items go with it (ON DELETE CASCADE); the list keeps its entries.
                var deleted = await _dialect
                    .Command(connection, transaction, "DELETE FROM exchanges WHERE name = @name;")
                    .With("@name", name)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                return await AuditIfAsync(connection, transaction, deleted, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<ExchangeStatus?> GetStatusAsync(Guid id, CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            (connection, transaction, ct) => _dialect
                .Command(connection, transaction, """
                    SELECT last_fetch_at, last_success_at, checkpoint, checkpoint_at, success, error, notice, added, removed, next_fetch_at, lease_token,
                        full_fetch, full_fetch_requested, (SELECT COUNT(*) FROM exchange_items i WHERE i.exchange_id = exchanges.id)
                    FROM exchanges WHERE id = @id;
                    """)
                .With("@id", id)
                .FirstOrDefaultAsync(
                    static reader => new ExchangeStatus
                    {
                        LastFetch = reader.GetInstantOrNull(0),
                        LastSuccess = reader.GetInstantOrNull(1),
                        Checkpoint = reader.GetStringOrNull(2),
                        CheckpointAt = reader.GetInstantOrNull(3),
                        Success = reader.IsDBNull(4) ? null : reader.GetBoolean(4),
                        Error = reader.GetStringOrNull(5),
                        Notice = reader.GetStringOrNull(6),
                        Added = reader.GetInt64(7),
                        Removed = reader.GetInt64(8),
                        NextFetch = reader.GetInstant(9),
                        Running = !reader.IsDBNull(10),
                        FullFetch = reader.GetBoolean(11),
                        FullFetchRequested = reader.GetBoolean(12),
                        Entries = reader.GetInt64(13),
                    },
                    ct),
            cancellationToken);

    public Task<IReadOnlyList<Guid>> DueAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<Guid>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "SELECT id FROM exchanges WHERE enabled = @enabled AND next_fetch_at <= @now ORDER BY next_fetch_at;")
                .With("@enabled", true)
                .With("@now", now)
                .ListAsync(static reader => reader.GetGuid(0), ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> TryLeaseAsync(Guid id, Guid token, string holder, DateTimeOffset now, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, """
                    UPDATE exchanges SET lease_token = @token, leased_by = @holder, leased_until = @until, last_fetch_at = @now, added = 0, removed = 0,
                        next_fetch_at = @now + interval_ticks
                    WHERE id = @id AND (lease_token IS NULL OR leased_until < @now);
                    """)
                .With("@id", id)
                .With("@token", token)
                .With("@holder", holder)
                .With("@until", until)
                .With("@now", now)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<int> ReleaseAbandonedAsync(Func<string, bool> isAbandoned, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isAbandoned);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var held = await _dialect
                    .Command(connection, transaction, "SELECT id, leased_by FROM exchanges WHERE lease_token IS NOT NULL AND leased_by IS NOT NULL;")
                    .ListAsync(static reader => (Id: reader.GetGuid(0), Holder: reader.GetString(1)), ct)
                    .ConfigureAwait(false);
                var released = 0;
                foreach (var (exchangeId, holder) in held)
                {
                    if (isAbandoned(holder))
                    {
                        released += await _dialect
                            .Command(connection, transaction, "UPDATE exchanges SET lease_token = NULL, leased_by = NULL, leased_until = NULL WHERE id = @id AND leased_by = @holder;")
                            .With("@id", exchangeId)
                            .With("@holder", holder)
                            .RunAsync(ct)
                            .ConfigureAwait(false);
                    }
                }

                return released;
            },
            cancellationToken);
    }

    public Task<bool> RenewAsync(Guid id, Guid token, DateTimeOffset until, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "UPDATE exchanges SET leased_until = @until WHERE id = @id AND lease_token = @token;")
                .With("@id", id)
                .With("@token", token)
                .With("@until", until)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<bool> FinishAsync(Guid id, Guid token, DateTimeOffset now, string? failure, string? notice, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, """
                    UPDATE exchanges SET lease_token = NULL, leased_by = NULL, leased_until = NULL, success = @success, error = @error, notice = @notice,
                        last_success_at = COALESCE(@succeeded, last_success_at)
                    WHERE id = @id AND lease_token = @token;
                    """)
                .With("@id", id)
                .With("@token", token)
                .With("@success", failure is null)
                .With("@error", failure)
                .With("@notice", notice)
                .With("@succeeded", failure is null ? now : (DateTimeOffset?)null)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<bool> ResetCheckpointAsync(Guid id, Guid token, string? checkpoint, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "UPDATE exchanges SET checkpoint = @checkpoint, checkpoint_at = @at WHERE id = @id AND lease_token = @token;")
                .With("@id", id)
                .With("@token", token)
                .With("@checkpoint", checkpoint)
                .With("@at", database.Time.GetUtcNow())
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<ExchangeBatchResult> ApplyAsync(Guid id, Guid token, ExchangeBatch batch, Func<ExchangeBatchResult, AuditEntryDraft> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = database.Time.GetUtcNow();
                var held = await ReadHeldLeaseAsync(connection, transaction, id, token, now, ct).ConfigureAwait(false);

                var listName = held.List;
                var listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"The exchange's list '{listName}' does not exist.");

                // The last record of a key in the batch wins; at most one entry per signal type of an item.
                var final = new Dictionary<string, ExchangeItem>(StringComparer.Ordinal);
                foreach (var item in batch.Items)
                {
                    final.Remove(item.Key);
                    final[item.Key] = item;
                }

                var removedIds = new List<int>();
                var inserts = new List<(string Key, HashListEntry Entry)>();
                foreach (var item in final.Values)
                {
                    var wanted = new Dictionary<string, HashListEntry>(StringComparer.Ordinal);
                    foreach (var entry in item.Entries)
                    {
                        wanted[entry.SignalType.Name] = entry;
                    }

                    var stored = await _dialect
                        .Command(connection, transaction, """
                            SELECT i.signal, i.entry_id, e.value, e.enabled, e.label, e.category,
                                (SELECT COUNT(*) FROM entry_quarantines q WHERE q.list_name = @quarantineList AND q.entry_id = i.entry_id AND q.released_at IS NULL)
                            FROM exchange_items i LEFT JOIN list_entries e ON e.list_id = @list AND e.id = i.entry_id
                            WHERE i.exchange_id = @id AND i.item_key = @key;
                            """)
                        .With("@list", listId)
                        .With("@quarantineList", listName)
                        .With("@id", id)
                        .With("@key", item.Key)
                        .ListAsync(static reader => (Signal: reader.GetString(0), EntryId: reader.GetInt32(1), Value: reader.GetStringOrNull(2), Enabled: !reader.IsDBNull(3) && reader.GetBoolean(3), Label: reader.GetStringOrNull(4), Category: reader.GetStringOrNull(5), Quarantined: reader.GetInt64(6) > 0), ct)
                        .ConfigureAwait(false);
                    foreach (var old in stored)
                    {
                        if (old.Value is not null && wanted.TryGetValue(old.Signal, out var same)
                            && same.Value == old.Value && (same.Enabled == old.Enabled || (old.Quarantined && same.Enabled)) && same.Label == old.Label && same.Category == old.Category)
                        {
                            // Unchanged: the entry keeps its id (matches and decisions refer to it). One the flood guard
                            // quarantined stays so: the provider sending it again does not release it.
                            wanted.Remove(old.Signal);
                            if (held.Full)
                            {
                                // Delivered again by the full fetch: kept by its sweep.
                                await _dialect
                                    .Command(connection, transaction, "UPDATE exchange_items SET seen_generation = @generation WHERE exchange_id = @id AND item_key = @key AND signal = @signal;")
                                    .With("@generation", held.Generation)
                                    .With("@id", id)
                                    .With("@key", item.Key)
                                    .With("@signal", old.Signal)
                                    .RunAsync(ct)
                                    .ConfigureAwait(false);
                            }

                            continue;
                        }

                        if (old.Value is not null)
                        {
                            await _dialect
                                .Command(connection, transaction, "DELETE FROM list_entries WHERE list_id = @list AND id = @entry;")
                                .With("@list", listId)
                                .With("@entry", old.EntryId)
                                .RunAsync(ct)
                                .ConfigureAwait(false);
                            removedIds.Add(old.EntryId);
                        }

                        await _dialect
                            .Command(connection, transaction, "DELETE FROM exchange_items WHERE exchange_id = @id AND item_key = @key AND signal = @signal;")
                            .With("@id", id)
                            .With("@key", item.Key)
                            .With("@signal", old.Signal)
                            .RunAsync(ct)
                            .ConfigureAwait(false);
                    }

                    foreach (var entry in wanted.Values)
                    {
                        inserts.Add((item.Key, entry));
                    }
                }

                var addedIds = new List<int>(inserts.Count);
                if (inserts.Count > 0)
                {
                    // The row lock of this UPDATE makes concurrent writers to one list take turns for their id ranges.
                    var firstId = Convert.ToInt32(
                        await _dialect
                            .Command(connection, transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list RETURNING next_entry_id - @count;")
                            .With("@count", inserts.Count)
                            .With("@list", listId)
                            .ScalarAsync(ct)
                            .ConfigureAwait(false),
                        CultureInfo.InvariantCulture);
                    var entries = new List<HashListEntry>(inserts.Count);
                    for (var i = 0; i < inserts.Count; i++)
                    {
                        entries.Add(inserts[i].Entry with { Id = firstId + i });
                        addedIds.Add(firstId + i);
                    }

                    await _dialect.InsertListEntriesAsync(connection, transaction, listId, entries, ct).ConfigureAwait(false);
                    for (var i = 0; i < inserts.Count; i++)
                    {
                        await _dialect
                            .Command(connection, transaction, "INSERT INTO exchange_items (exchange_id, item_key, signal, entry_id, seen_generation) VALUES (@id, @key, @signal, @entry, @generation);")
                            .With("@id", id)
                            .With("@generation", held.Generation)
                            .With("@key", inserts[i].Key)
                            .With("@signal", entries[i].SignalType.Name)
                            .With("@entry", entries[i].Id)
                            .RunAsync(ct)
                            .ConfigureAwait(false);
                    }
                }

                var result = new ExchangeBatchResult(addedIds.Count, removedIds.Count);
                if (addedIds.Count + removedIds.Count > 0)
                {
                    var draft = audit(result) ?? throw new InvalidOperationException("The audit callback returned no entry.");
                    await RelationalAuditLog.AppendAsync(database, connection, transaction, draft, ct).ConfigureAwait(false);

                    removedIds.AddRange(addedIds);
                    await AppendChangesAsync(connection, transaction, listName, removedIds, ct).ConfigureAwait(false);
                }

                await _dialect
                    .Command(connection, transaction, """
                        UPDATE exchanges SET checkpoint = @checkpoint, checkpoint_at = @now, added = added + @added, removed = removed + @removed
                        WHERE id = @id;
                        """)
                    .With("@id", id)
                    .With("@checkpoint", batch.Checkpoint)
                    .With("@now", now)
                    .With("@added", (long)result.Added)
                    .With("@removed", (long)result.Removed)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return result;
            },
            cancellationToken);
    }

    public Task<bool> RequestFullFetchAsync(Guid id, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, "UPDATE exchanges SET full_fetch_requested = @yes WHERE id = @id;")
                .With("@id", id)
                .With("@yes", true)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<bool> StartFullFetchAsync(Guid id, Guid token, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, """
                    UPDATE exchanges SET checkpoint = NULL, checkpoint_at = @at, full_fetch_requested = @no, full_fetch = @yes, sweep_generation = sweep_generation + 1
                    WHERE id = @id AND lease_token = @token;
                    """)
                .With("@id", id)
                .With("@token", token)
                .With("@at", database.Time.GetUtcNow())
                .With("@yes", true)
                .With("@no", false)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1,
            cancellationToken);

    public Task<ExchangeBatchResult> SweepAsync(Guid id, Guid token, Func<ExchangeBatchResult, AuditEntryDraft> audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var now = database.Time.GetUtcNow();
                var held = await ReadHeldLeaseAsync(connection, transaction, id, token, now, ct).ConfigureAwait(false);

                if (!held.Full)
                {
                    return new ExchangeBatchResult(0, 0);
                }

                var listId = await FindListIdAsync(connection, transaction, held.List, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"The exchange's list '{held.List}' does not exist.");
                var unseen = await _dialect
                    .Command(connection, transaction, """
                        SELECT i.entry_id FROM exchange_items i JOIN list_entries e ON e.list_id = @list AND e.id = i.entry_id
                        WHERE i.exchange_id = @id AND i.seen_generation < @generation;
                        """)
                    .With("@list", listId)
                    .With("@id", id)
                    .With("@generation", held.Generation)
                    .ListAsync(static reader => reader.GetInt32(0), ct)
                    .ConfigureAwait(false);
                await _dialect
                    .Command(connection, transaction, """
                        DELETE FROM list_entries WHERE list_id = @list
                            AND id IN (SELECT entry_id FROM exchange_items WHERE exchange_id = @id AND seen_generation < @generation);
                        """)
                    .With("@list", listId)
                    .With("@id", id)
                    .With("@generation", held.Generation)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                await _dialect
                    .Command(connection, transaction, "DELETE FROM exchange_items WHERE exchange_id = @id AND seen_generation < @generation;")
                    .With("@id", id)
                    .With("@generation", held.Generation)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                var result = new ExchangeBatchResult(0, unseen.Count);
                if (unseen.Count > 0)
                {
                    var draft = audit(result) ?? throw new InvalidOperationException("The audit callback returned no entry.");
                    await RelationalAuditLog.AppendAsync(database, connection, transaction, draft, ct).ConfigureAwait(false);
                    await AppendChangesAsync(connection, transaction, held.List, [.. unseen], ct).ConfigureAwait(false);
                }

                await _dialect
                    .Command(connection, transaction, "UPDATE exchanges SET full_fetch = @no, removed = removed + @removed WHERE id = @id;")
                    .With("@id", id)
                    .With("@no", false)
                    .With("@removed", (long)unseen.Count)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return result;
            },
            cancellationToken);
    }

    // One change-log row per run of consecutive ids: a follower reads each run's current state.
    private async Task AppendChangesAsync(DbConnection connection, DbTransaction transaction, string listName, List<int> ids, CancellationToken cancellationToken)
    {
        ids.Sort();
        var start = 0;
        for (var i = 1; i <= ids.Count; i++)
        {
            if (i == ids.Count || ids[i] > ids[i - 1] + 1)
            {
                await lists.AppendChangeAsync(connection, transaction, ListChanges.Entries, listName, ids[start], ids[i - 1], cancellationToken).ConfigureAwait(false);
                start = i;
            }
        }
    }

    private static StoredExchange Read(DbDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        (byte[])reader.GetValue(5),
        TimeSpan.FromTicks(reader.GetInt64(6)),
        reader.GetBoolean(7),
        reader.GetInstant(8));

    private async Task<bool> AuditIfAsync(DbConnection connection, DbTransaction transaction, bool changed, AuditEntryDraft audit, CancellationToken cancellationToken)
    {
        if (changed)
        {
            await RelationalAuditLog.AppendAsync(database, connection, transaction, audit, cancellationToken).ConfigureAwait(false);
        }

        return changed;
    }

    private async Task<long?> FindListIdAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        var id = await _dialect.Command(connection, transaction, "SELECT id FROM lists WHERE name = @name;").With("@name", name).ScalarAsync(cancellationToken).ConfigureAwait(false);
        return id is null ? null : Convert.ToInt64(id, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The exchange's list and sweep state under its fetch lease, locked to commit where writers are concurrent; a fetch
    /// that lost the lease (another token, or expired) gets <see cref="ExchangeLostException"/> and writes nothing.
    /// </summary>
    private async Task<(string List, bool Full, long Generation)> ReadHeldLeaseAsync(
        DbConnection connection, DbTransaction transaction, Guid id, Guid token, DateTimeOffset now, CancellationToken ct)
    {
        var held = await _dialect
            .Command(connection, transaction, $"SELECT list_name, lease_token, leased_until, full_fetch, sweep_generation FROM exchanges WHERE id = @id{_dialect.ForUpdate};")
            .With("@id", id)
            .FirstOrDefaultAsync(static reader => (List: reader.GetString(0), Token: reader.GetGuidOrNull(1), Until: reader.GetInstantOrNull(2), Full: reader.GetBoolean(3), Generation: reader.GetInt64(4)), ct)
            .ConfigureAwait(false);
        if (held.List is null || held.Token != token || held.Until < now)
        {
            throw new ExchangeLostException();
        }

        return (held.List, held.Full, held.Generation);
    }
}
