using System.Data.Common;
using System.Text;
using Needle.Matching.Lists;

namespace Needle.Storage.Relational;

/// <summary>
/// What differs between the databases the relational stores run on, and only that: how values are bound, the few SQL
/// fragments each database spells its own way, and concurrency. SQLite has one writer, so it locks nothing and its
/// sequences are assigned in commit order; PostgreSQL has concurrent writers, so it locks rows (in id order, so
/// writers wait for each other instead of deadlocking), skips rows locked by others where a job is leased, and holds
/// transaction-level advisory locks until commit where a chain or a sequence must not fork or commit out of order.
/// The stores hold everything else, written once.
/// </summary>
internal abstract class SqlDialect
{
    /// <summary>
    /// True when statements are best sent many at a time (a server a round trip away); false when each statement runs
    /// in process and one command prepared once and run again is the fastest way (see <see cref="StatementBatch"/>).
    /// </summary>
    public abstract bool BatchesStatements { get; }

    /// <summary>
    /// True when media sequences become visible in sequence order (one writer), so a follower of
    /// <see cref="NextMediaSequence"/> may read in a plain read transaction. False when transactions may commit out of
    /// sequence order: the follower then reads in a write transaction, after <see cref="LockMediaSequenceAsync"/>
    /// taken exclusively.
    /// </summary>
    public abstract bool MediaSequencesCommitInOrder { get; }

    /// <summary>Appended to a SELECT that locks the rows it reads until commit; empty where writers never overlap.</summary>
    public abstract string ForUpdate { get; }

    /// <summary>As <see cref="ForUpdate"/>, skipping rows another transaction holds (they are being changed right now).</summary>
    public abstract string ForUpdateSkipLocked { get; }

    /// <summary>
    /// The query of the job to lease: <c>id, attempts</c> of the oldest job due at <c>@now</c> (pending and available, or
    /// leased by a worker whose lease ran out), locked if the database has concurrent writers, so that concurrent
    /// workers pass each other instead of queueing on one row.
    /// </summary>
    public abstract string DueJobQuery { get; }

    /// <summary>As <see cref="DueJobQuery"/>, among the jobs of lane <c>@lane</c> only.</summary>
    public abstract string DueJobInLaneQuery { get; }

    /// <summary>The expression of the next media sequence, for a file stored with a PDQ.</summary>
    public abstract string NextMediaSequence { get; }

    /// <summary>The value inserted as the next list change's <c>seq</c>, taken while <see cref="LockAuditChainAsync"/> is held.</summary>
    public abstract string NextListChangeSequence { get; }

    /// <summary>
    /// As <see cref="NextListChangeSequence"/>, for the <c>n</c>th (from 0) of the rows one statement inserts in order
    /// (<paramref name="n"/> is the expression of that number).
    /// </summary>
    public abstract string NextListChangeSequenceOfRow(string n);

    /// <summary>A JSON column read back as its text, as it was written.</summary>
    public abstract string JsonText(string column);

    /// <summary>A column to order by its bytes (ordinal), whatever the database's default collation.</summary>
    public abstract string OrderByBytes(string column);

    /// <summary>The condition that <paramref name="column"/> equals <paramref name="value"/> ignoring case, as the column's index is built.</summary>
    public abstract string EqualsIgnoringCase(string column, string value);

    /// <summary>The condition that <paramref name="left"/> equals <paramref name="right"/>, NULL being equal to NULL.</summary>
    public abstract string IsNotDistinctFrom(string left, string right);

    /// <summary>An aggregate counting the rows of the group that meet <paramref name="condition"/> (0, not NULL, when none do).</summary>
    public abstract string CountWhere(string condition);

    /// <summary>
    /// The keyset condition <c>(first, second) &lt; (firstValue, secondValue)</c>, spelt so that the database's
    /// planner serves it from an index on (first DESC, second DESC).
    /// </summary>
    public abstract string RowLessThan(string first, string second, string firstValue, string secondValue);

    /// <summary>A parameter of the database's own type for <paramref name="type"/>, without a value yet.</summary>
    public abstract DbParameter CreateParameter(string name, SqlType type);

    /// <summary>The value as the database stores it (null is <see cref="DBNull.Value"/>).</summary>
    public virtual object ToDatabase(SqlType type, object? value) => value ?? DBNull.Value;

    /// <summary>A parameter holding <paramref name="value"/>.</summary>
    public DbParameter Parameter(string name, SqlType type, object? value)
    {
        var parameter = CreateParameter(name, type);
        parameter.Value = ToDatabase(type, value);
        return parameter;
    }

    /// <summary>A command whose parameters this dialect binds.</summary>
    public RelationalCommand Command(DbConnection connection, DbTransaction? transaction, string sql) =>
        new(connection.Command(transaction, sql), this);

    /// <summary>
    /// Makes the caller's transaction the only one appending to the audit chain (and to the list change log) until it
    /// ends; its next statement then sees the entry of whoever appended before.
    /// </summary>
    public abstract Task LockAuditChainAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Shared: the caller takes media sequences (writers do not wait for each other). Exclusive: the caller (a follower)
    /// waits until no transaction that took one is still open, so every sequence below the ones it reads is committed.
    /// Held until the transaction ends.
    /// </summary>
    public abstract Task LockMediaSequenceAsync(DbConnection connection, DbTransaction transaction, bool exclusive, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the caller's transaction the only one changing link clusters until it ends (a union reads two clusters and
    /// moves the members of one: two at once could fork a cluster).
    /// </summary>
    public abstract Task LockLinkClustersAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken);

    /// <summary>
    /// Makes concurrent enqueuers of the same kind and subject take turns until the caller's transaction ends, so the
    /// check for a pending job that follows sees what the one before committed.
    /// </summary>
    public abstract Task LockJobSubjectAsync(DbConnection connection, DbTransaction transaction, string kind, Guid subjectId, CancellationToken cancellationToken);

    /// <summary>
    /// Locks the rows of these files until the caller's transaction ends, in id order: two transactions locking the
    /// same files then wait for each other instead of deadlocking.
    /// </summary>
    public abstract Task LockFilesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Guid> fileIds, CancellationToken cancellationToken);

    /// <summary>
    /// Locks one file's row until the caller's transaction ends, in a statement of its own: the next statement sees
    /// what a transaction that held it committed.
    /// </summary>
    public abstract Task LockFileAsync(DbConnection connection, DbTransaction transaction, Guid fileId, CancellationToken cancellationToken);

    /// <summary>
    /// Report ids in the order their jobs' locks are taken: one order for every transaction where locks are taken
    /// (so they wait instead of deadlocking), the callers' own order where none are.
    /// </summary>
    public abstract IReadOnlyList<Guid> InLockOrder(IReadOnlyList<Guid> reportIds);

    /// <summary>
    /// Inserts a list's entries (their ids already assigned). Lists are imported by the hundred thousand, so this is
    /// the bulk path: by default one prepared INSERT run for each entry; a database with a faster bulk load overrides it.
    /// </summary>
    public virtual async Task InsertListEntriesAsync(DbConnection connection, DbTransaction transaction, long listId, IReadOnlyList<HashListEntry> entries, CancellationToken cancellationToken)
    {
        var batch = new StatementBatch(this, connection, transaction);
        await using (batch.ConfigureAwait(false))
        {
            var insert = batch.Statement(
                "INSERT INTO list_entries (list_id, id, signal, value, label, category, source, enabled, metadata) VALUES (@list, @id, @signal, @value, @label, @category, @source, @enabled, @metadata);",
                ("@list", SqlType.BigInt),
                ("@id", SqlType.Integer),
                ("@signal", SqlType.Text),
                ("@value", SqlType.Text),
                ("@label", SqlType.Text),
                ("@category", SqlType.Text),
                ("@source", SqlType.Text),
                ("@enabled", SqlType.Flag),
                ("@metadata", SqlType.Json));
            for (var i = 0; i < entries.Count; i++)
            {
                var entry = entries[i];
                insert.Set(0, listId);
                insert.Set(1, entry.Id);
                insert.Set(2, entry.SignalType.Name);
                insert.Set(3, entry.Value);
                insert.Set(4, entry.Label);
                insert.Set(5, entry.Category);
                insert.Set(6, entry.Source);
                insert.Set(7, entry.Enabled);
                insert.Set(8, StoredRows.MetadataJson(entry));
                await insert.AddRowAsync(cancellationToken).ConfigureAwait(false);
            }

            await batch.RunAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Streams an import's entries into the list, in the caller's transaction: <paramref name="fill"/> hands them over
    /// one by one (synchronously: it is a parser), they take the list's next ids in that order, and the list's next id
    /// moves past them. Returns the first id and the count. By default one prepared INSERT run again for every entry
    /// (in process, that is the fastest there is); a database with a bulk load overrides it.
    /// </summary>
    public virtual async Task<(int FirstId, int Count)> ImportListRowsAsync(
        DbConnection connection, DbTransaction transaction, long listId, Action<Action<ImportRow>> fill, CancellationToken cancellationToken)
    {
        // One writer (this default is SQLite's): nobody else takes ids meanwhile.
        var firstId = Convert.ToInt32(
            await Command(connection, transaction, "SELECT next_entry_id FROM lists WHERE id = @list;").With("@list", listId).ScalarAsync(cancellationToken).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
        var count = 0;
        var insert = connection.Command(
            transaction,
            "INSERT INTO list_entries (list_id, id, signal, value, label, category, source, enabled, metadata) VALUES (@list, @id, @signal, @value, @label, @category, @source, @enabled, @metadata);");
        await using (insert.ConfigureAwait(false))
        {
            (string Name, SqlType Type)[] columns =
            [
                ("@list", SqlType.BigInt), ("@id", SqlType.Integer), ("@signal", SqlType.Text), ("@value", SqlType.Text), ("@label", SqlType.Text),
                ("@category", SqlType.Text), ("@source", SqlType.Text), ("@enabled", SqlType.Flag), ("@metadata", SqlType.Json),
            ];
            var parameters = new DbParameter[columns.Length];
            for (var i = 0; i < columns.Length; i++)
            {
                parameters[i] = CreateParameter(columns[i].Name, columns[i].Type);
                insert.Parameters.Add(parameters[i]);
            }

            parameters[0].Value = ToDatabase(SqlType.BigInt, listId);
            var enabled = ToDatabase(SqlType.Flag, true);
            var disabled = ToDatabase(SqlType.Flag, false);
            using var metadataJson = new MetadataJsonWriter();
            insert.Prepare();
            fill(row =>
            {
                ArgumentNullException.ThrowIfNull(row);
                parameters[1].Value = firstId + count;
                parameters[2].Value = row.SignalType.Name;
                parameters[3].Value = Encoding.UTF8.GetString(row.Value);
                parameters[4].Value = row.HasLabel ? Encoding.UTF8.GetString(row.Label) : DBNull.Value;
                parameters[5].Value = row.HasCategory ? Encoding.UTF8.GetString(row.Category) : DBNull.Value;
                parameters[6].Value = row.HasSource ? Encoding.UTF8.GetString(row.Source) : DBNull.Value;
                parameters[7].Value = row.Enabled ? enabled : disabled;
                parameters[8].Value = row.MetadataCount > 0 ? Encoding.UTF8.GetString(metadataJson.Write(row)) : DBNull.Value;
#pragma warning disable CA1849 // The parser hands entries over synchronously; in process the call does not wait on I/O.
                insert.ExecuteNonQuery();
#pragma warning restore CA1849
                count++;
            });
        }

        await Command(connection, transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list;")
            .With("@count", count)
            .With("@list", listId)
            .RunAsync(cancellationToken)
            .ConfigureAwait(false);
        return (firstId, count);
    }
}
