using System.Globalization;
using Needle.Matching.Lists;
using Needle.Triage;
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
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, await connection
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
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, await connection
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
                    .ListAsync(ReadEntry, ct)
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
                }

                return stored;
            },
            cancellationToken);
    }

    public Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, AuditEntryDraft audit, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, await connection
                .Command(transaction, "UPDATE list_entries SET enabled = @enabled WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                .With("@enabled", enabled)
                .With("@name", listName)
                .With("@id", entryId)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1, ct).ConfigureAwait(false),
            cancellationToken);

    public Task<bool> RemoveEntryAsync(string listName, int entryId, AuditEntryDraft audit, CancellationToken cancellationToken = default) =>
        database.WriteAsync(
            async (connection, transaction, ct) => await AuditIfAsync(connection, transaction, audit, await connection
                .Command(transaction, "DELETE FROM list_entries WHERE list_id = (SELECT id FROM lists WHERE name = @name) AND id = @id;")
                .With("@name", listName)
                .With("@id", entryId)
                .RunAsync(ct)
                .ConfigureAwait(false) == 1, ct).ConfigureAwait(false),
            cancellationToken);

    /// <summary>Appends the audit entry in the change's transaction when the change happened; returns whether it did.</summary>
    private async Task<bool> AuditIfAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, AuditEntryDraft audit, bool changed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(audit);
        if (changed)
        {
            await PostgresAuditLog.AppendAsync(connection, transaction, audit, database.Time, cancellationToken).ConfigureAwait(false);
        }

        return changed;
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

    private static HashListEntry ReadEntry(NpgsqlDataReader reader)
    {
        var signalName = reader.GetString(1);
        if (!SignalTypes.TryGet(signalName, out var signalType))
        {
            throw new InvalidDataException($"A list entry has the unknown signal type '{signalName}'.");
        }

        return new HashListEntry(signalType, reader.GetString(2))
        {
            Id = reader.GetInt32(0),
            Label = reader.GetStringOrNull(3),
            Category = reader.GetStringOrNull(4),
            Source = reader.GetStringOrNull(5),
            Enabled = reader.GetBoolean(6),
            Metadata = DocumentJson.DeserializeOrNull<Dictionary<string, string>>(reader.GetStringOrNull(7)) ?? (IReadOnlyDictionary<string, string>)new Dictionary<string, string>(),
        };
    }
}
