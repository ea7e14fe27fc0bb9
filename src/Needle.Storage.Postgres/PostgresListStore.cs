using System.Globalization;
using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Lists;
using Npgsql;
using NpgsqlTypes;

namespace Needle.Storage.Postgres;

internal sealed class PostgresListStore(PostgresDatabase database) : IListStore
{
    public Task<IReadOnlyList<StoredList>> GetListsAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<StoredList>>(
            async (connection, transaction, ct) => await connection
                .Command(transaction, "SELECT name, kind, pdq_threshold, photodna_threshold, created_at FROM lists ORDER BY name COLLATE \"C\";")
                .ListAsync(
                    reader => new StoredList(
                        reader.GetString(0),
                        Enum.Parse<HashListKind>(reader.GetString(1)),
                        reader.GetDoubleOrNull(2),
                        reader.GetDoubleOrNull(3),
                        reader.GetInstant(4)),
                    ct)
                .ConfigureAwait(false),
            cancellationToken);

    public Task<bool> CreateListAsync(StoredList list, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentException.ThrowIfNullOrWhiteSpace(list.Name);
        return database.WriteAsync(
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, ListChanges.Created, list.Name, 0, 0, await connection
                .Command(transaction, """
                    INSERT INTO lists (name, kind, pdq_threshold, photodna_threshold, created_at)
                    VALUES (@name, @kind, @pdq, @photodna, @created)
                    ON CONFLICT (name) DO NOTHING;
                    """)
                .With("@name", list.Name)
                .With("@kind", list.Kind.ToString())
                .With("@pdq", NpgsqlDbType.Double, list.PdqThreshold)
                .With("@photodna", NpgsqlDbType.Double, list.PhotoDnaThreshold)
                .With("@created", list.CreatedAt)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1, ct).ConfigureAwait(false),
            cancellationToken);
    }

    public Task<bool> DeleteListAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, ListChanges.Deleted, name, 0, 0, await connection
                .Command(transaction, "DELETE FROM lists WHERE name = @name;") // entries go with it (ON DELETE CASCADE)
                .With("@name", name)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1, ct).ConfigureAwait(false),
            cancellationToken);

    public Task<IReadOnlyList<HashListEntry>> GetEntriesAsync(string listName, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<HashListEntry>>(
            async (connection, transaction, ct) =>
            {
                var listId = await FindListIdAsync(connection, transaction, listName, forUpdate: false, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");
                return await connection
                    .Command(transaction, "SELECT id, signal, value, label, category, source, enabled, metadata::text FROM list_entries WHERE list_id = @list ORDER BY id;")
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
        return database.WriteAsync<IReadOnlyList<HashListEntry>>(
            async (connection, transaction, ct) =>
            {
                var listId = await FindListIdAsync(connection, transaction, listName, forUpdate: false, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");

                // The row lock of this UPDATE makes concurrent imports into one list take turns for their id ranges.
                var firstId = Convert.ToInt32(
                    await connection
                        .Command(transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list RETURNING next_entry_id - @count;")
                        .With("@count", entries.Count)
                        .With("@list", listId)
                        .ScalarAsync(ct)
                        .ConfigureAwait(false),
                    CultureInfo.InvariantCulture);

                // Binary COPY: lists are imported by the hundred thousand.
                var stored = new List<HashListEntry>(entries.Count);
                var importer = await connection
                    .BeginBinaryImportAsync("COPY list_entries (list_id, id, signal, value, label, category, source, enabled, metadata) FROM STDIN (FORMAT BINARY)", ct)
                    .ConfigureAwait(false);
                await using (importer.ConfigureAwait(false))
                {
                    for (var i = 0; i < entries.Count; i++)
                    {
                        var entry = entries[i] with { Id = firstId + i };
                        await importer.StartRowAsync(ct).ConfigureAwait(false);
                        await importer.WriteAsync(listId, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                        await importer.WriteAsync(entry.Id, NpgsqlDbType.Integer, ct).ConfigureAwait(false);
                        await importer.WriteAsync(entry.SignalType.Name, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                        await importer.WriteAsync(entry.Value, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                        await WriteTextOrNullAsync(importer, entry.Label, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                        await WriteTextOrNullAsync(importer, entry.Category, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                        await WriteTextOrNullAsync(importer, entry.Source, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                        await importer.WriteAsync(entry.Enabled, NpgsqlDbType.Boolean, ct).ConfigureAwait(false);
                        await WriteTextOrNullAsync(
                            importer, entry.Metadata.Count == 0 ? null : DocumentJson.SerializeOrNull(entry.Metadata), NpgsqlDbType.Jsonb, ct).ConfigureAwait(false);
                        stored.Add(entry);
                    }

                    await importer.CompleteAsync(ct).ConfigureAwait(false);
                }

                // The entry's details carry the ids assigned above, so it is built here, inside the transaction.
                if (stored.Count > 0)
                {
                    await PostgresAuditLog.AppendAsync(connection, transaction, audit(stored), database.Time, ct).ConfigureAwait(false);
                    await RecordChangeAsync(connection, transaction, ListChanges.Entries, listName, stored[0].Id, stored[^1].Id, ct).ConfigureAwait(false);
                }

                return stored;
            },
            cancellationToken);
    }

    public Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, AuditEntryDraft audit, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, ListChanges.Entries, listName, entryId, entryId, await connection
                .Command(transaction, "UPDATE list_entries SET enabled = @enabled WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                .With("@enabled", enabled)
                .With("@name", listName)
                .With("@id", entryId)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1, ct).ConfigureAwait(false),
            cancellationToken);

    public Task<bool> RemoveEntryAsync(string listName, int entryId, AuditEntryDraft audit, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, ListChanges.Entries, listName, entryId, entryId, await connection
                .Command(transaction, "DELETE FROM list_entries WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                .With("@name", listName)
                .With("@id", entryId)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1, ct).ConfigureAwait(false),
            cancellationToken);

    public Task<ListSnapshot> ReadSnapshotAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // One REPEATABLE READ snapshot: the sequence and the lists agree. A change not yet committed has a higher
                // sequence (sequences are taken under the audit lock, held to commit), so the reader gets it afterwards.
                var sequence = Convert.ToInt64(
                    await connection.Command(transaction, "SELECT COALESCE(MAX(seq), 0) FROM list_changes;").ScalarAsync(ct).ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                var lists = await connection
                    .Command(transaction, "SELECT id, name, kind, pdq_threshold, photodna_threshold, created_at FROM lists ORDER BY name COLLATE \"C\";")
                    .ListAsync(reader => (Id: reader.GetInt64(0), List: StoredRows.ReadList(reader, 1)), ct)
                    .ConfigureAwait(false);
                var result = new List<(StoredList, IReadOnlyList<HashListEntry>)>(lists.Count);
                foreach (var (id, list) in lists)
                {
                    result.Add((list, await connection
                        .Command(transaction, "SELECT id, signal, value, label, category, source, enabled, metadata::text FROM list_entries WHERE list_id = @list ORDER BY id;")
                        .With("@list", id)
                        .ListAsync(StoredRows.ReadListEntry, ct)
                        .ConfigureAwait(false)));
                }

                return new ListSnapshot(sequence, result);
            },
            cancellationToken);

    public Task<IReadOnlyList<ListChange>> ReadChangesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return database.ReadAsync<IReadOnlyList<ListChange>>(
            async (connection, transaction, ct) =>
            {
                var rows = await connection
                    .Command(transaction, "SELECT seq, change, list_name, first_entry_id, last_entry_id FROM list_changes WHERE seq > @after ORDER BY seq LIMIT @limit;")
                    .With("@after", afterSequence)
                    .With("@limit", limit)
                    .ListAsync(reader => new ListChange(reader.GetInt64(0), ListChanges.Parse(reader.GetString(1)), reader.GetString(2), reader.GetInt32(3), reader.GetInt32(4)), ct)
                    .ConfigureAwait(false);
                for (var i = 0; i < rows.Count; i++)
                {
                    // The current state of what the change names, from the same snapshot.
                    var change = rows[i];
                    if (change.Kind == ListChangeKind.ListCreated)
                    {
                        rows[i] = change with
                        {
                            List = await connection
                                .Command(transaction, "SELECT name, kind, pdq_threshold, photodna_threshold, created_at FROM lists WHERE name = @name;")
                                .With("@name", change.ListName)
                                .FirstOrDefaultAsync(reader => StoredRows.ReadList(reader, 0), ct)
                                .ConfigureAwait(false),
                        };
                    }
                    else if (change.Kind == ListChangeKind.EntriesChanged)
                    {
                        rows[i] = change with
                        {
                            Entries = await connection
                                .Command(transaction, """
                                    SELECT id, signal, value, label, category, source, enabled, metadata::text FROM list_entries
                                    WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id BETWEEN @first AND @last ORDER BY id;
                                    """)
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

    /// <summary>When the change happened, appends its audit entry and its change-log row in its transaction; returns whether it did.</summary>
    private async Task<bool> AuditIfAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntryDraft audit, string change, string listName, int firstEntryId, int lastEntryId, bool changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        if (changed)
        {
            await PostgresAuditLog.AppendAsync(connection, transaction, audit, database.Time, cancellationToken).ConfigureAwait(false);
            await RecordChangeAsync(connection, transaction, change, listName, firstEntryId, lastEntryId, cancellationToken).ConfigureAwait(false);
        }

        return changed;
    }

    /// <summary>
    /// Appends a row to the list change log. Its sequence is taken under the audit advisory lock, held until the
    /// transaction ends, so sequences commit in the order they are taken and a follower reading "after N" never skips
    /// a change that commits later with a lower number (a plain sequence or identity could).
    /// </summary>
    private async Task RecordChangeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string change, string listName, int firstEntryId, int lastEntryId, CancellationToken cancellationToken)
    {
        // Already held when the audit entry was appended first; taking it again in the same transaction is a no-op.
        await connection.Command(transaction, "SELECT pg_advisory_xact_lock(@key);").With("@key", Migrations.AuditLockKey).RunAsync(cancellationToken).ConfigureAwait(false);
        await connection
            .Command(transaction, """
                INSERT INTO list_changes (seq, list_name, change, first_entry_id, last_entry_id, at)
                SELECT COALESCE(MAX(seq), 0) + 1, @name, @change, @first, @last, @at FROM list_changes;
                """)
            .With("@name", listName)
            .With("@change", change)
            .With("@first", firstEntryId)
            .With("@last", lastEntryId)
            .With("@at", database.Time.GetUtcNow())
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
    }

    private static async Task WriteTextOrNullAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            await importer.WriteNullAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await importer.WriteAsync(value, type, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<long?> FindListIdAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, bool forUpdate, CancellationToken cancellationToken)
    {
        var sql = forUpdate ? "SELECT id FROM lists WHERE name = @name FOR UPDATE;" : "SELECT id FROM lists WHERE name = @name;";
        var id = await connection.Command(transaction, sql).With("@name", name).ScalarAsync(cancellationToken).ConfigureAwait(false);
        return id is null ? null : Convert.ToInt64(id, CultureInfo.InvariantCulture);
    }

}
