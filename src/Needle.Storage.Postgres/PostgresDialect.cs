using System.Data.Common;
using System.Globalization;
using Needle.Core.Storage;
using Needle.Matching.Lists;
using Npgsql;
using NpgsqlTypes;

namespace Needle.Storage.Postgres;

/// <summary>
/// PostgreSQL's side of the relational stores. Values: uuid, boolean, jsonb, bytea, each parameter typed (a typed null
/// too: PostgreSQL cannot always infer one). Concurrency: writers run at once in READ COMMITTED transactions, so rows
/// changed from their current value are locked (in id order), leases skip locked jobs, and transaction-level advisory
/// locks (held until commit) keep the audit chain and the list change log from forking and make media sequences safe
/// to follow.
/// </summary>
internal sealed class PostgresDialect : SqlDialect
{
    /// <summary>The dialect (it holds no state).</summary>
    public static PostgresDialect Instance { get; } = new();

    /// <summary>A server a round trip away: many rows, one round trip.</summary>
    public override bool BatchesStatements => true;

    /// <summary>A sequence: transactions that take 7 and 8 may commit 8 first.</summary>
    public override bool MediaSequencesCommitInOrder => false;

    public override string ForUpdate => " FOR UPDATE";

    public override string ForUpdateSkipLocked => " FOR UPDATE SKIP LOCKED";

    public override string DueJobQuery => """
        SELECT id, attempts FROM jobs
        WHERE (state = 'pending' AND available_at <= @now) OR (state = 'leased' AND leased_until < @now)
        ORDER BY priority DESC, id LIMIT 1
        FOR UPDATE SKIP LOCKED;
        """;

    public override string DueJobInLaneQuery => """
        SELECT id, attempts FROM jobs
        WHERE lane = @lane AND ((state = 'pending' AND available_at <= @now) OR (state = 'leased' AND leased_until < @now))
        ORDER BY priority DESC, id LIMIT 1
        FOR UPDATE SKIP LOCKED;
        """;

    /// <summary>Taken while the caller holds the media sequence lock, shared (see <see cref="LockMediaSequenceAsync"/>).</summary>
    public override string NextMediaSequence => "nextval('files_media_seq')";

    /// <summary>
    /// <c>MAX(seq) + 1</c> under the audit advisory lock, held until commit: sequences commit in the order they are
    /// taken (a plain sequence or identity could commit out of order, and a follower skip a change).
    /// </summary>
    public override string NextListChangeSequence => "(SELECT COALESCE(MAX(seq), 0) + 1 FROM list_changes)";

    /// <inheritdoc/>
    public override string NextListChangeSequenceOfRow(string n) => $"(SELECT COALESCE(MAX(seq), 0) + 1 FROM list_changes) + {n}";

    public override string JsonText(string column) => $"{column}::text";

    /// <summary>"C" is byte order, whatever the database's collation.</summary>
    public override string OrderByBytes(string column) => $"{column} COLLATE \"C\"";

    /// <summary>lower() on both sides, as the reporter index is built.</summary>
    public override string EqualsIgnoringCase(string column, string value) => $"lower({column}) = lower({value})";

    public override string IsNotDistinctFrom(string left, string right) => $"{left} IS NOT DISTINCT FROM {right}";

    public override string CountWhere(string condition) => $"COUNT(*) FILTER (WHERE {condition})";

    /// <summary>A row comparison: the (first DESC, second DESC) index serves it directly.</summary>
    public override string RowLessThan(string first, string second, string firstValue, string secondValue) =>
        $"({first}, {second}) < ({firstValue}, {secondValue})";

    public override DbParameter CreateParameter(string name, SqlType type) => new NpgsqlParameter(name, type switch
    {
        SqlType.Text => NpgsqlDbType.Text,
        SqlType.Integer => NpgsqlDbType.Integer,
        SqlType.BigInt => NpgsqlDbType.Bigint,
        SqlType.Real => NpgsqlDbType.Double,
        SqlType.Flag => NpgsqlDbType.Boolean,
        SqlType.Uuid => NpgsqlDbType.Uuid,
        SqlType.Bytes => NpgsqlDbType.Bytea,
        SqlType.Json => NpgsqlDbType.Jsonb,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Not a SQL type the stores use."),
    });

    /// <summary>One key for the audit chain and the list change log (<see cref="Migrations.AuditLockKey"/>).</summary>
    public override Task LockAuditChainAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        LockAsync(connection, transaction, Migrations.AuditLockKey, cancellationToken);

    public override Task LockMediaSequenceAsync(DbConnection connection, DbTransaction transaction, bool exclusive, CancellationToken cancellationToken) =>
        exclusive
            ? LockAsync(connection, transaction, Migrations.MediaSequenceLockKey, cancellationToken)
            : Command(connection, transaction, "SELECT pg_advisory_xact_lock_shared(@key);").With("@key", Migrations.MediaSequenceLockKey).RunAsync(cancellationToken);

    public override Task LockLinkClustersAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) =>
        LockAsync(connection, transaction, Migrations.LinkClustersLockKey, cancellationToken);

    /// <summary>A key made of the kind and the subject, so only enqueuers of the same job take turns.</summary>
    public override Task LockJobSubjectAsync(DbConnection connection, DbTransaction transaction, string kind, Guid subjectId, CancellationToken cancellationToken) =>
        Command(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext(@kind), hashtext(@subject::text));")
            .With("@kind", kind)
            .With("@subject", subjectId)
            .RunAsync(cancellationToken);

    public override Task LockFilesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Guid> fileIds, CancellationToken cancellationToken)
    {
        var ids = new Guid[fileIds.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = fileIds[i];
        }

        var command = connection.Command(transaction, "SELECT 1 FROM files WHERE id = ANY(@ids) ORDER BY id FOR UPDATE;");
        command.Parameters.Add(new NpgsqlParameter("@ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = ids });
        return command.RunAsync(cancellationToken);
    }

    public override Task LockFileAsync(DbConnection connection, DbTransaction transaction, Guid fileId, CancellationToken cancellationToken) =>
        Command(connection, transaction, "SELECT 1 FROM files WHERE id = @file FOR UPDATE;").With("@file", fileId).RunAsync(cancellationToken);

    /// <summary>Sorted as PostgreSQL orders uuids (byte by byte, as their lowercase text).</summary>
    public override IReadOnlyList<Guid> InLockOrder(IReadOnlyList<Guid> reportIds)
    {
        var sorted = new List<Guid>(reportIds);
        sorted.Sort((x, y) => string.CompareOrdinal(x.ToString("D", CultureInfo.InvariantCulture), y.ToString("D", CultureInfo.InvariantCulture)));
        return sorted;
    }

    /// <summary>Binary COPY: lists are imported by the hundred thousand.</summary>
    public override async Task InsertListEntriesAsync(DbConnection connection, DbTransaction transaction, long listId, IReadOnlyList<HashListEntry> entries, CancellationToken cancellationToken)
    {
        var importer = await ((NpgsqlConnection)connection)
            .BeginBinaryImportAsync("COPY list_entries (list_id, id, signal, value, label, category, source, enabled, metadata) FROM STDIN (FORMAT BINARY)", cancellationToken)
            .ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(listId, NpgsqlDbType.Bigint, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(entry.Id, NpgsqlDbType.Integer, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(entry.SignalType.Name, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(entry.Value, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteOrNullAsync(importer, entry.Label, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteOrNullAsync(importer, entry.Category, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await WriteOrNullAsync(importer, entry.Source, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(entry.Enabled, NpgsqlDbType.Boolean, cancellationToken).ConfigureAwait(false);
                await WriteOrNullAsync(importer, StoredRows.MetadataJson(entry), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Binary COPY straight into <c>list_entries</c> while the parser streams: the list's row is locked first (so the
    /// ids from its next id on are this import's; an import or an add into the same list from elsewhere waits for this
    /// one to commit), every row written once with its id, and the list's next id moved past them at the end.
    /// </summary>
    public override async Task<(int FirstId, int Count)> ImportListRowsAsync(
        DbConnection connection, DbTransaction transaction, long listId, Action<Action<ImportRow>> fill, CancellationToken cancellationToken)
    {
        var firstId = Convert.ToInt32(
            await Command(connection, transaction, "SELECT next_entry_id FROM lists WHERE id = @list FOR UPDATE;")
                .With("@list", listId)
                .ScalarAsync(cancellationToken)
                .ConfigureAwait(false),
            CultureInfo.InvariantCulture);
        var count = 0;
        var copy = await ((NpgsqlConnection)connection)
            .BeginRawBinaryCopyAsync("COPY list_entries (list_id, id, signal, value, label, category, source, enabled, metadata) FROM STDIN (FORMAT BINARY)", cancellationToken)
            .ConfigureAwait(false);
        var written = false;
        try
        {
            // A list of millions takes longer than a command's usual 30 s, and the parser sets the pace.
            if (copy.CanTimeout)
            {
                copy.WriteTimeout = Timeout.Infinite;
            }

            // The rows go in COPY's binary format, written here from their bytes (measured against the driver's
            // importer, whose per-field calls cost more than PostgreSQL's own work on a row).
            using var writer = new ListEntryCopyWriter(copy, listId);
#pragma warning disable CA1849 // The parser hands entries over synchronously; the writer sends whole 64 KiB buffers.
            fill(row =>
            {
                ArgumentNullException.ThrowIfNull(row);
                if (count == int.MaxValue - firstId)
                {
                    throw new InvalidOperationException("The list has run out of entry ids.");
                }

                writer.Write(row, firstId + count);
                count++;
            });
            writer.Finish();
#pragma warning restore CA1849
            written = true;
        }
        finally
        {
            if (!written)
            {
                // Nothing of a failed import is sent on: the COPY is abandoned (and the transaction rolled back by the
                // caller). Should the connection itself be broken, the import's own error (a record named by number, a
                // full disk) is the one that matters, so a failure to cancel does not replace it.
                try
                {
                    await copy.CancelAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NpgsqlException or IOException or InvalidOperationException)
                {
                }
            }

            await copy.DisposeAsync().ConfigureAwait(false);
        }

        await Command(connection, transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list;")
            .With("@count", count)
            .With("@list", listId)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return (firstId, count);
    }
    /// <summary>
    /// PostgreSQL's "disk full" (SQLSTATE 53100: a table, index, WAL or temporary file could not grow) as the
    /// <see cref="StorageFullException"/> every backend throws for it (the server answers 507 with a Retry-After); null
    /// for any other error. The transaction it ended was rolled back: nothing of it was kept.
    /// </summary>
    internal static StorageFullException? AsStorageFull(PostgresException error) =>
        error.SqlState == PostgresErrorCodes.DiskFull
            ? new StorageFullException(
                "The PostgreSQL database is full (its disk): the write was not made and nothing written before is lost; free space and try again.", error)
            : null;

    /// <summary>Takes a transaction-level advisory lock (held until commit or rollback; taking it again is a no-op).</summary>
    internal Task LockAsync(DbConnection connection, DbTransaction? transaction, long key, CancellationToken cancellationToken) =>
        Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key);").With("@key", key).RunAsync(cancellationToken);

    private static async Task WriteOrNullAsync(NpgsqlBinaryImporter importer, string? value, NpgsqlDbType type, CancellationToken cancellationToken)
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
}
