using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Storage.Sqlite;

internal sealed class SqliteListStore(SqliteDatabase database) : IListStore
{
    public Task<IReadOnlyList<StoredList>> GetListsAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<StoredList>>(
            async (connection, transaction, ct) => await connection
                .Command(transaction, "SELECT name, kind, pdq_threshold, photodna_threshold, created_at FROM lists ORDER BY name;")
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
        ArgumentException.ThrowIfNullOrWhiteSpace(list.Name);
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var created = await connection
                    .Command(transaction, """
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
                if (created)
                {
                    await RecordChangeAsync(connection, transaction, ListChanges.Created, list.Name, 0, 0, ct).ConfigureAwait(false);
                }

                return await AuditIfAsync(created, connection, transaction, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> DeleteListAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var listId = await FindListIdAsync(connection, transaction, name, ct).ConfigureAwait(false);
                if (listId is null)
                {
                    return false;
                }

                await connection.Command(transaction, "DELETE FROM list_entries WHERE list_id = @list;").With("@list", listId).RunAsync(ct).ConfigureAwait(false);
                await connection.Command(transaction, "DELETE FROM lists WHERE id = @list;").With("@list", listId).RunAsync(ct).ConfigureAwait(false);
                await RecordChangeAsync(connection, transaction, ListChanges.Deleted, name, 0, 0, ct).ConfigureAwait(false);
                return await AuditIfAsync(true, connection, transaction, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<IReadOnlyList<HashListEntry>> GetEntriesAsync(string listName, CancellationToken cancellationToken = default) =>
        database.ReadAsync<IReadOnlyList<HashListEntry>>(
            async (connection, transaction, ct) =>
            {
                var listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");
                return await connection
                    .Command(transaction, "SELECT id, signal, value, label, category, source, enabled, metadata FROM list_entries WHERE list_id = @list ORDER BY id;")
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
                var listId = await FindListIdAsync(connection, transaction, listName, ct).ConfigureAwait(false)
                    ?? throw new KeyNotFoundException($"There is no list named '{listName}'.");
                if (entries.Count == 0)
                {
                    return [];
                }

                var firstId = Convert.ToInt32(
                    await connection
                        .Command(transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list RETURNING next_entry_id - @count;")
                        .With("@count", entries.Count)
                        .With("@list", listId)
                        .ScalarAsync(ct)
                        .ConfigureAwait(false),
                    CultureInfo.InvariantCulture);

                // One prepared statement for the whole batch: lists are imported by the hundred thousand.
                var insert = connection.Command(transaction, """
                    INSERT INTO list_entries (list_id, id, signal, value, label, category, source, enabled, metadata)
                    VALUES (@list, @id, @signal, @value, @label, @category, @source, @enabled, @metadata);
                    """);
                await using (insert.ConfigureAwait(false))
                {
                    string[] names = ["@list", "@id", "@signal", "@value", "@label", "@category", "@source", "@enabled", "@metadata"];
                    foreach (var name in names)
                    {
                        insert.Parameters.Add(new SqliteParameter { ParameterName = name });
                    }

                    insert.Parameters["@list"].Value = listId;
                    var stored = new List<HashListEntry>(entries.Count);
                    for (var i = 0; i < entries.Count; i++)
                    {
                        var entry = entries[i] with { Id = firstId + i };
                        insert.Parameters["@id"].Value = entry.Id;
                        insert.Parameters["@signal"].Value = entry.SignalType.Name;
                        insert.Parameters["@value"].Value = entry.Value;
                        insert.Parameters["@label"].Value = SqlHelpers.ToDatabase(entry.Label);
                        insert.Parameters["@category"].Value = SqlHelpers.ToDatabase(entry.Category);
                        insert.Parameters["@source"].Value = SqlHelpers.ToDatabase(entry.Source);
                        insert.Parameters["@enabled"].Value = SqlHelpers.ToDatabase(entry.Enabled);
                        insert.Parameters["@metadata"].Value = SqlHelpers.ToDatabase(
                            entry.Metadata.Count == 0 ? null : DocumentJson.SerializeOrNull(entry.Metadata));
                        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                        stored.Add(entry);
                    }

                    var draft = audit(stored) ?? throw new InvalidOperationException("The audit callback returned no entry.");
                    await SqliteAuditLog.AppendAsync(connection, transaction, draft, database.Time.GetUtcNow(), ct).ConfigureAwait(false);
                    await RecordChangeAsync(connection, transaction, ListChanges.Entries, listName, firstId, firstId + entries.Count - 1, ct).ConfigureAwait(false);
                    return stored;
                }
            },
            cancellationToken);
    }

    public Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var changed = await connection
                    .Command(transaction, "UPDATE list_entries SET enabled = @enabled WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@enabled", enabled)
                    .With("@name", listName)
                    .With("@id", entryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (changed)
                {
                    await RecordChangeAsync(connection, transaction, ListChanges.Entries, listName, entryId, entryId, ct).ConfigureAwait(false);
                }

                return await AuditIfAsync(changed, connection, transaction, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<bool> RemoveEntryAsync(string listName, int entryId, AuditEntryDraft audit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return database.WriteAsync(
            async (connection, transaction, ct) =>
            {
                var removed = await connection
                    .Command(transaction, "DELETE FROM list_entries WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                    .With("@name", listName)
                    .With("@id", entryId)
                    .RunAsync(ct)
                    .ConfigureAwait(false) == 1;
                if (removed)
                {
                    await RecordChangeAsync(connection, transaction, ListChanges.Entries, listName, entryId, entryId, ct).ConfigureAwait(false);
                }

                return await AuditIfAsync(removed, connection, transaction, audit, ct).ConfigureAwait(false);
            },
            cancellationToken);
    }

    public Task<ListSnapshot> ReadSnapshotAsync(CancellationToken cancellationToken = default) =>
        database.ReadAsync(
            async (connection, transaction, ct) =>
            {
                // One read transaction (a WAL snapshot): the sequence and the lists agree.
                var sequence = Convert.ToInt64(
                    await connection.Command(transaction, "SELECT COALESCE(MAX(seq), 0) FROM list_changes;").ScalarAsync(ct).ConfigureAwait(false),
                    CultureInfo.InvariantCulture);
                var lists = await connection
                    .Command(transaction, "SELECT id, name, kind, pdq_threshold, photodna_threshold, created_at FROM lists ORDER BY name;")
                    .ListAsync(reader => (Id: reader.GetInt64(0), List: StoredRows.ReadList(reader, 1)), ct)
                    .ConfigureAwait(false);
                var result = new List<(StoredList, IReadOnlyList<HashListEntry>)>(lists.Count);
                foreach (var (id, list) in lists)
                {
                    result.Add((list, await connection
                        .Command(transaction, "SELECT id, signal, value, label, category, source, enabled, metadata FROM list_entries WHERE list_id = @list ORDER BY id;")
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
                                    SELECT id, signal, value, label, category, source, enabled, metadata FROM list_entries
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

    /// <summary>Appends a row to the list change log in the change's transaction (SQLite has one writer: seq is commit order).</summary>
    private async Task RecordChangeAsync(SqliteConnection connection, SqliteTransaction transaction, string change, string listName, int firstEntryId, int lastEntryId, CancellationToken cancellationToken) =>
        await connection
            .Command(transaction, "INSERT INTO list_changes (list_name, change, first_entry_id, last_entry_id, at) VALUES (@name, @change, @first, @last, @at);")
            .With("@name", listName)
            .With("@change", change)
            .With("@first", firstEntryId)
            .With("@last", lastEntryId)
            .With("@at", database.Time.GetUtcNow())
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);

    /// <summary>Appends <paramref name="audit"/> in the write's transaction when <paramref name="changed"/>; returns <paramref name="changed"/>.</summary>
    private async Task<bool> AuditIfAsync(bool changed, SqliteConnection connection, SqliteTransaction transaction, AuditEntryDraft audit, CancellationToken cancellationToken)
    {
        if (changed)
        {
            await SqliteAuditLog.AppendAsync(connection, transaction, audit, database.Time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        return changed;
    }

    private static async Task<long?> FindListIdAsync(SqliteConnection connection, SqliteTransaction transaction, string name, CancellationToken cancellationToken)
    {
        var id = await connection.Command(transaction, "SELECT id FROM lists WHERE name = @name;").With("@name", name).ScalarAsync(cancellationToken).ConfigureAwait(false);
        return id is null ? null : Convert.ToInt64(id, CultureInfo.InvariantCulture);
    }

}
