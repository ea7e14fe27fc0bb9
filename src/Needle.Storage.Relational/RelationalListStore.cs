using System.Data.Common;
using System.Globalization;
using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Storage.Relational;

/// <summary>
/// Hash lists and their entries. Every change appends its audit entry and its row of the list change log in its own
/// transaction. The change log's sequence is taken under the audit chain lock (where writers are concurrent: held until
/// the transaction ends), so sequences commit in the order they are taken and a follower reading "after N" never skips
/// a change that commits later with a lower number.
/// </summary>
internal sealed class RelationalListStore : IListStore
{
    private static readonly string[] FloodGuardTables = ["entry_match_counts", "entry_quarantines"];

    private readonly RelationalDatabase _database;
    private readonly SqlDialect _dialect;
    private readonly string _selectLists;
    private readonly string _selectListsWithIds;
    private readonly string _selectEntries;
    private readonly string _selectEntryRange;
    private readonly string _insertChange;
    private readonly string _insertChangeRange;

    public RelationalListStore(RelationalDatabase database)
    {
        _database = database;
        _dialect = database.Dialect;
        var entryColumns = StoredRows.ListEntryColumns(_dialect);
        var byName = _dialect.OrderByBytes("name");
        _selectLists = $"SELECT name, kind, pdq_threshold, photodna_threshold, created_at FROM lists ORDER BY {byName};";
        _selectListsWithIds = $"SELECT id, name, kind, pdq_threshold, photodna_threshold, created_at FROM lists ORDER BY {byName};";
        _selectEntries = $"SELECT {entryColumns} FROM list_entries WHERE list_id = @list ORDER BY id;";
        _selectEntryRange = $"""
            SELECT {entryColumns} FROM list_entries
            WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id BETWEEN @first AND @last ORDER BY id;
            """;
        _insertChange = $"""
            INSERT INTO list_changes (seq, list_name, change, first_entry_id, last_entry_id, at)
            VALUES ({_dialect.NextListChangeSequence}, @name, @change, @first, @last, @at);
            """;

        // Row n covers ids first + n * chunk .. (that + chunk - 1, at most last); 64-bit arithmetic near the int range's end.
        _insertChangeRange = $"""
            WITH RECURSIVE chunks(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM chunks WHERE n + 1 < @chunks)
            INSERT INTO list_changes (seq, list_name, change, first_entry_id, last_entry_id, at)
            SELECT {_dialect.NextListChangeSequenceOfRow("n")}, @name, @change, @first + n * @chunk,
                CASE WHEN @first + n * @chunk + @chunk - 1 < @last THEN @first + n * @chunk + @chunk - 1 ELSE @last END, @at
            FROM chunks ORDER BY n;
            """;
    }

    public Task<IReadOnlyList<StoredList>> GetListsAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<StoredList>>(
            async (connection, transaction, ct) => await connection
                .Command(transaction, _selectLists)
                .ListAsync(reader => StoredRows.ReadList(reader, 0), ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> CreateListAsync(StoredList list, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentException.ThrowIfNullOrWhiteSpace(list.Name);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var created = await _dialect
                    .Command(connection, transaction, """
                        INSERT INTO lists (name, kind, pdq_threshold, photodna_threshold, created_at)
                        VALUES (@name, @kind, @pdq, @photodna, @created)
                        ON CONFLICT (name) DO NOTHING;
                        """)
                    .With("@name", list.Name)
                    .With("@kind", list.Kind.ToString())
                    .With("@pdq", list.PdqThreshold)
                    .With("@photodna", list.PhotoDnaThreshold)
                    .With("@created", list.CreatedAt)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                return await AuditIfAsync(connection, transaction, created, audit, ListChanges.Created, list.Name, 0, 0, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> DeleteListAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // Its entries go with it (deleted here: PostgreSQL's schema has no foreign key from them, which cost a
                // query per imported row); so do the flood guard's counts (a new list of the name restarts its ids).
                await ClearFloodGuardAsync(connection, transaction, name, null, ct).ConfigureAwait(false);
                await _dialect
                    .Command(connection, transaction, "DELETE FROM list_entries WHERE list_id = (SELECT id FROM lists WHERE name = @name);")
                    .With("@name", name)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                var deleted = await _dialect
                    .Command(connection, transaction, "DELETE FROM lists WHERE name = @name;")
                    .With("@name", name)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                return await AuditIfAsync(connection, transaction, deleted, audit, ListChanges.Deleted, name, 0, 0, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<HashListEntry>> GetEntriesAsync(string listName, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<HashListEntry>>(
            async (connection, transaction, ct) =>
            {
                var listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");
                return await _dialect
                    .Command(connection, transaction, _selectEntries)
                    .With("@list", listId)
                    .ListAsync(StoredRows.ReadListEntry, ct)
                    .ConfigureAwait(false);
            },
            cancellationToken);

    public Task<IReadOnlyList<HashListEntry>> AddEntriesAsync(
        string listName,
        IReadOnlyList<HashListEntry> entries,
        Func<IReadOnlyList<HashListEntry>, AuditEntryDraft> audit,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync<IReadOnlyList<HashListEntry>>(
            async (connection, transaction, ct) =>
            {
                var listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");
                if (entries.Count == 0)
                {
                    return [];
                }

                // The row lock of this UPDATE makes concurrent imports into one list take turns for their id ranges.
                var firstId = Convert.ToInt32(
                    await _dialect
                        .Command(connection, transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list RETURNING next_entry_id - @count;")
                        .With("@count", entries.Count)
                        .With("@list", listId)
                        .ScalarAsync(ct)
                        .ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                var stored = new List<HashListEntry>(entries.Count);
                for (var i = 0; i < entries.Count; i++)
                {
                    stored.Add(entries[i] with { Id = firstId + i });
                }

                await _dialect.InsertListEntriesAsync(connection, transaction, listId, stored, ct).ConfigureAwait(false);

                // The entry's details carry the ids assigned above, so it is built here, inside the transaction.
                var draft = audit(stored) ?? throw new InvalidOperationException("The audit callback returned no entry.");
                await AuditIfAsync(connection, transaction, true, draft, ListChanges.Entries, listName, stored[0].Id, stored[^1].Id, ct).ConfigureAwait(false);
                return stored;
            },
            cancellationToken);
    }

    public Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var changed = await _dialect
                    .Command(connection, transaction, "UPDATE list_entries SET enabled = @enabled WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@enabled", enabled)
                    .With("@name", listName)
                    .With("@id", entryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (changed && enabled)
                {
                    // Enabling a quarantined entry releases it (its rate becomes its baseline), as a release would.
                    await _dialect
                        .Command(connection, transaction, "UPDATE entry_quarantines SET released_at = @at, released_by = @actor WHERE list_name = @name AND entry_id = @id AND released_at IS NULL;")
                        .With("@at", _database.Time.GetUtcNow())
                        .With("@actor", audit.Actor)
                        .With("@name", listName)
                        .With("@id", entryId)
                        .RunAsync(ct)
                        .ConfigureAwait(false);
                }

                return await AuditIfAsync(connection, transaction, changed, audit, ListChanges.Entries, listName, entryId, entryId, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> RemoveEntryAsync(string listName, int entryId, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                await ClearFloodGuardAsync(connection, transaction, listName, entryId, ct).ConfigureAwait(false);
                var removed = await _dialect
                    .Command(connection, transaction, "DELETE FROM list_entries WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@name", listName)
                    .With("@id", entryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                return await AuditIfAsync(connection, transaction, removed, audit, ListChanges.Entries, listName, entryId, entryId, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<ListSnapshot> ReadSnapshotAsync(CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // One read snapshot: the sequence and the lists agree. A change not yet committed has a higher sequence
                // (sequences are taken under the audit chain lock, held to commit), so the reader gets it afterwards.
                var sequence = Convert.ToInt64(
                    await connection.Command(transaction, "SELECT COALESCE(MAX(seq), 0) FROM list_changes;").ScalarAsync(ct).ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                var lists = await connection
                    .Command(transaction, _selectListsWithIds)
                    .ListAsync(reader => (Id: reader.GetInt64(0), List: StoredRows.ReadList(reader, 1)), ct)
                    .ConfigureAwait(false);
                var result = new List<(StoredList, IReadOnlyList<HashListEntry>)>(lists.Count);
                foreach (var (id, list) in lists)
                {
                    result.Add((list, await _dialect
                        .Command(connection, transaction, _selectEntries)
                        .With("@list", id)
                        .ListAsync(StoredRows.ReadListEntry, ct)
                        .ConfigureAwait(false)));
                }

                return new ListSnapshot(sequence, result);
            },
            cancellationToken);

    public Task<long> StreamSnapshotAsync(Func<StoredList, Action<HashListEntry>> openList, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openList);
        return _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // The same one read snapshot as ReadSnapshotAsync; entries are handed over row by row.
                var sequence = Convert.ToInt64(
                    await connection.Command(transaction, "SELECT COALESCE(MAX(seq), 0) FROM list_changes;").ScalarAsync(ct).ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                var lists = await connection
                    .Command(transaction, _selectListsWithIds)
                    .ListAsync(reader => (Id: reader.GetInt64(0), List: StoredRows.ReadList(reader, 1)), ct)
                    .ConfigureAwait(false);
                foreach (var (id, list) in lists)
                {
                    var sink = openList(list);
                    await _dialect
                        .Command(connection, transaction, _selectEntries)
                        .With("@list", id)
                        .ForEachAsync(reader => sink(StoredRows.ReadListEntry(reader)), ct)
                        .ConfigureAwait(false);
                }

                return sequence;
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<ListChange>> ReadChangesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        ReadChangesAsync(afterSequence, limit, static _ => true, cancellationToken);

    public Task<IReadOnlyList<ListChange>> ReadChangesAsync(long afterSequence, int limit, Func<ListChange, bool> withState, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentNullException.ThrowIfNull(withState);
        return _database.ReadAsync<IReadOnlyList<ListChange>>(
            async (connection, transaction, ct) =>
            {
                var rows = await _dialect
                    .Command(connection, transaction, "SELECT seq, change, list_name, first_entry_id, last_entry_id FROM list_changes WHERE seq > @after ORDER BY seq LIMIT @limit;")
                    .With("@after", afterSequence)
                    .With("@limit", limit)
                    .ListAsync(reader => new ListChange(reader.GetInt64(0), ListChanges.Parse(reader.GetString(1)), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4)), ct)
                    .ConfigureAwait(false);
                for (var i = 0; i < rows.Count; i++)
                {
                    // The current state of what the change names, from the same snapshot.
                    var change = rows[i];
                    if (!withState(change))
                    {
                        continue;
                    }

                    if (change.Kind == ListChangeKind.ListCreated)
                    {
                        rows[i] = change with
                        {
                            List = await _dialect
                                .Command(connection, transaction, "SELECT name, kind, pdq_threshold, photodna_threshold, created_at FROM lists WHERE name = @name;")
                                .With("@name", change.ListName)
                                .FirstOrDefaultAsync(reader => StoredRows.ReadList(reader, 0), ct)
                                .ConfigureAwait(false),
                        };
                    }
                    else if (change.Kind == ListChangeKind.EntriesChanged)
                    {
                        rows[i] = change with
                        {
                            Entries = await _dialect
                                .Command(connection, transaction, _selectEntryRange)
                                .With("@name", change.ListName)
                                .With("@first", change.FirstEntryId)
                                .With("@last", change.LastEntryId)
                                .ListAsync(StoredRows.ReadListEntry, ct)
                                .ConfigureAwait(false),
                        };
                    }
                }

                return rows;
            },
            cancellationToken);
    }

    public Task<(ListChange? Change, long LastSequence)> GetChangeAtAsync(long sequence, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<(ListChange?, long)>(
            async (connection, transaction, ct) =>
            {
                var last = Convert.ToInt64(
                    await connection.Command(transaction, "SELECT COALESCE(MAX(seq), 0) FROM list_changes;").ScalarAsync(ct).ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                var change = await _dialect
                    .Command(connection, transaction, "SELECT seq, change, list_name, first_entry_id, last_entry_id FROM list_changes WHERE seq = @seq;")
                    .With("@seq", sequence)
                    .FirstOrDefaultAsync(reader => new ListChange(reader.GetInt64(0), ListChanges.Parse(reader.GetString(1)), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4)), ct)
                    .ConfigureAwait(false);
                return (change, last);
            },
            cancellationToken);

    public Task<IReadOnlyList<EntryMatchRate>> GetMatchRatesAsync(
        IReadOnlyList<(string ListName, int EntryId)> entries, DateTimeOffset windowStart, DateTimeOffset historyStart, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var window = EntryMatchRate.BucketOf(windowStart);
        var history = EntryMatchRate.BucketOf(historyStart);
        return _database.ReadAsync<IReadOnlyList<EntryMatchRate>>(
            async (connection, transaction, ct) =>
            {
                var rates = new List<EntryMatchRate>(entries.Count);
                foreach (var (listName, entryId) in entries)
                {
                    // One row per entry: the two sums over its hourly buckets and its quarantine record, if any.
                    var rate = await _dialect
                        .Command(connection, transaction, """
                            SELECT
                                (SELECT CAST(COALESCE(SUM(matches), 0) AS bigint) FROM entry_match_counts WHERE list_name = @name AND entry_id = @id AND bucket >= @window),
                                (SELECT CAST(COALESCE(SUM(matches), 0) AS bigint) FROM entry_match_counts WHERE list_name = @name AND entry_id = @id AND bucket >= @history AND bucket < @window),
                                (SELECT matches FROM entry_quarantines WHERE list_name = @name AND entry_id = @id AND released_at IS NOT NULL),
                                (SELECT COUNT(*) FROM entry_quarantines WHERE list_name = @name AND entry_id = @id AND released_at IS NULL);
                            """)
                        .With("@name", listName)
                        .With("@id", entryId)
                        .With("@window", window)
                        .With("@history", history)
                        .FirstOrDefaultAsync(
                            reader => new EntryMatchRate(
                                listName,
                                entryId,
                                reader.GetInt64(0),
                                reader.GetInt64(1),
                                reader.IsDBNull(2) ? null : reader.GetInt64(2),
                                reader.GetInt64(3) > 0),
                            ct)
                        .ConfigureAwait(false);
                    rates.Add(rate!);
                }

                return rates;
            },
            cancellationToken);
    }

    public Task<bool> QuarantineEntryAsync(EntryQuarantine quarantine, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(quarantine);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                // The entry must exist; a quarantine row not yet released means another node got there first.
                var exists = await _dialect
                    .Command(connection, transaction, "SELECT COUNT(*) FROM list_entries WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@name", quarantine.ListName)
                    .With("@id", quarantine.EntryId)
                    .ScalarAsync(ct)
                    .ConfigureAwait(false);
                if (Convert.ToInt64(exists, CultureInfo.InvariantCulture) == 0)
                {
                    return false;
                }

                var recorded = await _dialect
                    .Command(connection, transaction, """
                        INSERT INTO entry_quarantines (list_name, entry_id, matches, baseline, window_ticks, quarantined_at, released_at, released_by)
                        VALUES (@name, @id, @matches, @baseline, @window, @at, NULL, NULL)
                        ON CONFLICT (list_name, entry_id) DO UPDATE SET
                            matches = excluded.matches, baseline = excluded.baseline, window_ticks = excluded.window_ticks,
                            quarantined_at = excluded.quarantined_at, released_at = NULL, released_by = NULL
                        WHERE entry_quarantines.released_at IS NOT NULL;
                        """)
                    .With("@name", quarantine.ListName)
                    .With("@id", quarantine.EntryId)
                    .With("@matches", quarantine.Matches)
                    .With("@baseline", quarantine.Baseline)
                    .With("@window", quarantine.Window.Ticks)
                    .With("@at", quarantine.QuarantinedAt)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (!recorded)
                {
                    return false;
                }

                await _dialect
                    .Command(connection, transaction, "UPDATE list_entries SET enabled = @enabled WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@enabled", false)
                    .With("@name", quarantine.ListName)
                    .With("@id", quarantine.EntryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return await AuditIfAsync(connection, transaction, true, audit, ListChanges.Entries, quarantine.ListName, quarantine.EntryId, quarantine.EntryId, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> ReleaseEntryAsync(string listName, int entryId, string actor, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentNullException.ThrowIfNull(audit);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var released = await _dialect
                    .Command(connection, transaction, "UPDATE entry_quarantines SET released_at = @at, released_by = @actor WHERE list_name = @name AND entry_id = @id AND released_at IS NULL;")
                    .With("@at", _database.Time.GetUtcNow())
                    .With("@actor", actor)
                    .With("@name", listName)
                    .With("@id", entryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (!released)
                {
                    return false;
                }

                await _dialect
                    .Command(connection, transaction, "UPDATE list_entries SET enabled = @enabled WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@enabled", true)
                    .With("@name", listName)
                    .With("@id", entryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false);
                return await AuditIfAsync(connection, transaction, true, audit, ListChanges.Entries, listName, entryId, entryId, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<EntryQuarantine>> GetQuarantinedAsync(string listName, CancellationToken cancellationToken = default) =>
        _database.ReadAsync<IReadOnlyList<EntryQuarantine>>(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, """
                    SELECT list_name, entry_id, matches, baseline, window_ticks, quarantined_at FROM entry_quarantines
                    WHERE list_name = @name AND released_at IS NULL ORDER BY entry_id;
                    """)
                .With("@name", listName)
                .ListAsync(
                    reader => new EntryQuarantine(
                        reader.GetString(0), reader.GetInt32(1), reader.GetInt64(2), reader.GetDouble(3), TimeSpan.FromTicks(reader.GetInt64(4)), reader.GetInstant(5)),
                    ct)
                .ConfigureAwait(false),
            cancellationToken);

    /// <inheritdoc/>
    /// <remarks>A database in this process (statements sent one at a time) writes on this process's thread alone.</remarks>
    public bool ImportOverlapsParsing => !_dialect.BatchesStatements;

    public Task<ListImportOutcome> ImportRowsAsync(
        string listName,
        StoredList? createIfMissing,
        Action<Action<ImportRow>> fill,
        Func<ListImportOutcome, AuditEntryDraft> audit,
        AuditEntryDraft? createAudit,
        int changeChunk,
        Func<ListImportOutcome, ListImportRecord>? record,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(changeChunk);
        if (createIfMissing is not null && createAudit is null)
        {
            throw new ArgumentException("Creating the list needs its audit entry.", nameof(createAudit));
        }

        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var created = false;
                var listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false);
                if (listId is null)
                {
                    if (createIfMissing is null)
                    {
                        throw new KeyNotFoundException($"There is no list named '{listName}'.");
                    }

                    // The rows' list id is needed before the first entry: the list is created first, in this transaction.
                    created = await _dialect
                        .Command(connection, transaction, """
                            INSERT INTO lists (name, kind, pdq_threshold, photodna_threshold, created_at)
                            VALUES (@name, @kind, @pdq, @photodna, @created)
                            ON CONFLICT (name) DO NOTHING;
                            """)
                        .With("@name", listName)
                        .With("@kind", createIfMissing.Kind.ToString())
                        .With("@pdq", createIfMissing.PdqThreshold)
                        .With("@photodna", createIfMissing.PhotoDnaThreshold)
                        .With("@created", createIfMissing.CreatedAt)
                        .RunAsync(ct)
                        .ConfigureAwait(false) == 1;
                    listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false)
                        ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");
                }

                var (firstId, count) = await _dialect.ImportListRowsAsync(connection, transaction, listId.Value, fill, ct).ConfigureAwait(false);
                var outcome = new ListImportOutcome(created, count == 0 ? 0 : firstId, count);

                // Audited once, whatever the size; the change log names the range in chunks a follower reads a batch of at a time.
                if (created)
                {
                    await AuditIfAsync(connection, transaction, true, createAudit!, ListChanges.Created, listName, 0, 0, ct).ConfigureAwait(false);
                }

                var draft = audit(outcome) ?? throw new InvalidOperationException("The audit callback returned no entry.");
                await RelationalAuditLog.AppendAsync(_database, connection, transaction, draft, ct).ConfigureAwait(false);
                if (count > 0)
                {
                    var (firstChange, lastChange) = await AppendChangeRangeAsync(connection, transaction, listName, outcome.FirstEntryId, outcome.LastEntryId, changeChunk, ct).ConfigureAwait(false);
                    outcome = outcome with { FirstChangeSequence = firstChange, LastChangeSequence = lastChange };
                }

                if (record?.Invoke(outcome) is { } final)
                {
                    await SaveImportAsync(connection, transaction, final, ct).ConfigureAwait(false);
                }

                return outcome;
            },
            cancellationToken);
    }

    public Task StreamEntriesAsync(string listName, int firstEntryId, int lastEntryId, Action<HashListEntry> sink, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return _database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                await _dialect
                    .Command(connection, transaction, _selectEntryRange)
                    .With("@name", listName)
                    .With("@first", firstEntryId)
                    .With("@last", lastEntryId)
                    .ForEachAsync(reader => sink(StoredRows.ReadListEntry(reader)), ct)
                    .ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    public Task SaveImportAsync(ListImportRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                await SaveImportAsync(connection, transaction, record, ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    private Task<int> SaveImportAsync(DbConnection connection, DbTransaction transaction, ListImportRecord record, CancellationToken ct) =>
        _dialect
            .Command(connection, transaction, """
                INSERT INTO list_imports (id, list_name, state, actor, node, started_at, finished_at, format, records_read, imported, invalid, errors)
                VALUES (@id, @list, @state, @actor, @node, @started, @finished, @format, @read, @imported, @invalid, @errors)
                ON CONFLICT (id) DO UPDATE SET
                    state = excluded.state, finished_at = excluded.finished_at, format = excluded.format, records_read = excluded.records_read,
                    imported = excluded.imported, invalid = excluded.invalid, errors = excluded.errors;
                """)
            .With("@id", record.Id)
            .With("@list", record.ListName)
            .With("@state", record.State.ToString())
            .With("@actor", record.Actor)
            .With("@node", record.Node)
            .With("@started", record.StartedAt)
            .With("@finished", record.FinishedAt)
            .With("@format", record.Format)
            .With("@read", record.RecordsRead)
            .With("@imported", record.Imported)
            .With("@invalid", record.Invalid)
            .With("@errors", DocumentJson.SerializeOrNull(record.Errors))
            .RunAsync(ct);

    public Task<ListImportRecord?> GetImportAsync(Guid id, CancellationToken cancellationToken = default) =>
        _database.ReadAsync(
            async (connection, transaction, ct) => await _dialect
                .Command(connection, transaction, $"SELECT {ImportColumns} FROM list_imports WHERE id = @id;")
                .With("@id", id)
                .FirstOrDefaultAsync(ReadImport, ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<int> FailAbandonedImportsAsync(Func<string, bool> isAbandoned, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(isAbandoned);
        return _database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var running = await _dialect
                    .Command(connection, transaction, $"SELECT {ImportColumns} FROM list_imports WHERE state = @state;")
                    .With("@state", nameof(ListImportState.Running))
                    .ListAsync(ReadImport, ct)
                    .ConfigureAwait(false);
                var failed = 0;
                foreach (var import in running)
                {
                    if (!isAbandoned(import.Node))
                    {
                        continue;
                    }

                    failed += await _dialect
                        .Command(connection, transaction, "UPDATE list_imports SET state = @failed, finished_at = @at, errors = @errors WHERE id = @id AND state = @running;")
                        .With("@failed", nameof(ListImportState.Failed))
                        .With("@at", _database.Time.GetUtcNow())
                        .With("@errors", DocumentJson.SerializeOrNull<IReadOnlyList<string>>([.. import.Errors, reason]))
                        .With("@id", import.Id)
                        .With("@running", nameof(ListImportState.Running))
                        .RunAsync(ct)
                        .ConfigureAwait(false);
                }

                return failed;
            },
            cancellationToken);
    }

    private const string ImportColumns = "id, list_name, state, actor, node, started_at, finished_at, format, records_read, imported, invalid, errors";

    private static ListImportRecord ReadImport(DbDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), Enum.Parse<ListImportState>(reader.GetString(2)), reader.GetString(3), reader.GetString(4), reader.GetInstant(5))
        {
            FinishedAt = reader.GetInstantOrNull(6),
            Format = reader.GetStringOrNull(7),
            RecordsRead = reader.GetInt32(8),
            Imported = reader.GetInt32(9),
            Invalid = reader.GetInt32(10),
            Errors = DocumentJson.DeserializeOrNull<List<string>>(reader.GetStringOrNull(11)) ?? [],
        };

    /// <summary>When the change happened, appends its audit entry and its change-log row in its transaction; returns whether it did.</summary>
    private async Task<bool> AuditIfAsync(
        DbConnection connection, DbTransaction transaction, bool changed, AuditEntryDraft audit, string change, string listName, int firstEntryId, int lastEntryId, CancellationToken cancellationToken)
    {
        if (!changed)
        {
            return false;
        }

        await RelationalAuditLog.AppendAsync(_database, connection, transaction, audit, cancellationToken).ConfigureAwait(false);

        await AppendChangeAsync(connection, transaction, change, listName, firstEntryId, lastEntryId, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Appends one row of the list change log in the caller's transaction, which has appended its audit entry already
    /// (so holds the audit chain lock where the database takes it; taking it again is a no-op).
    /// </summary>
    internal async Task AppendChangeAsync(DbConnection connection, DbTransaction transaction, string change, string listName, int firstEntryId, int lastEntryId, CancellationToken cancellationToken)
    {
        await _dialect.LockAuditChainAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        await _dialect
            .Command(connection, transaction, _insertChange)
            .With("@name", listName)
            .With("@change", change)
            .With("@first", firstEntryId)
            .With("@last", lastEntryId)
            .With("@at", _database.Time.GetUtcNow())
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>
    /// Appends the change-log rows naming entries <paramref name="first"/>..<paramref name="last"/> in chunks of
    /// <paramref name="chunk"/> ids, in order, with one statement (an import of millions names about a thousand).
    /// </summary>
    /// <summary>Appends the change rows of an id range; the sequences of the first and the last (consecutive: the lock serialises appends).</summary>
    private async Task<(long First, long Last)> AppendChangeRangeAsync(
        DbConnection connection, DbTransaction transaction, string listName, int first, int last, int chunk, CancellationToken cancellationToken)
    {
        await _dialect.LockAuditChainAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
        var chunks = ((long)last - first + chunk) / chunk;
        await _dialect
            .Command(connection, transaction, _insertChangeRange)
            .With("@chunks", chunks)
            .With("@name", listName)
            .With("@change", ListChanges.Entries)
            .With("@first", (long)first)
            .With("@chunk", (long)chunk)
            .With("@last", (long)last)
            .With("@at", _database.Time.GetUtcNow())
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        var lastSequence = Convert.ToInt64(
            await connection.Command(transaction, "SELECT COALESCE(MAX(seq), 0) FROM list_changes;").ScalarAsync(cancellationToken).ConfigureAwait(false),
            CultureInfo.InvariantCulture);
        return (lastSequence - chunks + 1, lastSequence);
    }

    /// <summary>Deletes the flood guard's counts and quarantine records of a list (or of one of its entries).</summary>
    private async Task ClearFloodGuardAsync(DbConnection connection, DbTransaction transaction, string listName, int? entryId, CancellationToken cancellationToken)
    {
        foreach (var table in FloodGuardTables)
        {
            await _dialect
                .Command(connection, transaction, $"DELETE FROM {table} WHERE list_name = @name AND (@id IS NULL OR entry_id = @id);")
                .With("@name", listName)
                .With("@id", entryId)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
        }
    }

    private async Task<long?> FindListIdAsync(DbConnection connection, DbTransaction transaction, string name, CancellationToken cancellationToken)
    {
        var id = await _dialect.Command(connection, transaction, "SELECT id FROM lists WHERE name = @name;").With("@name", name).ScalarAsync(cancellationToken).ConfigureAwait(false);
        return id is null ? null : Convert.ToInt64(id, CultureInfo.InvariantCulture);
    }
}
