using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Needle.Matching.Lists;
using SQLitePCL;

namespace Needle.Storage.Sqlite;

/// <summary>
/// SQLite's side of the relational stores. Values: GUIDs as lowercase "D" text (readable with the sqlite3 shell, and
/// ordered as PostgreSQL orders uuids), flags as 0/1, JSON as text; parameters are bound by value (SQLite types values,
/// not columns). Concurrency: all writes go through one writer (<see cref="SqliteDatabase"/>), one transaction at a
/// time, so there is nothing to lock and sequences are assigned in commit order.
/// </summary>
internal sealed class SqliteDialect : SqlDialect
{
    /// <summary>The dialect (it holds no state).</summary>
    public static SqliteDialect Instance { get; } = new();

    /// <summary>In process: one prepared command run again is as fast as it gets.</summary>
    public override bool BatchesStatements => false;

    /// <summary>One writer: <c>MAX(media_seq) + 1</c> is taken in commit order.</summary>
    public override bool MediaSequencesCommitInOrder => true;

    public override string ForUpdate => string.Empty;

    public override string ForUpdateSkipLocked => string.Empty;

    /// <summary>The oldest due job of each state, each from its own partial index (jobs_pending, jobs_leased), then the older of the two.</summary>
    public override string DueJobQuery => """
        SELECT id, attempts FROM (
            SELECT id, attempts, priority FROM (SELECT id, attempts, priority FROM jobs WHERE state = 'pending' AND available_at <= @now ORDER BY priority DESC, id LIMIT 1)
            UNION ALL
            SELECT id, attempts, priority FROM (SELECT id, attempts, priority FROM jobs WHERE state = 'leased' AND leased_until < @now ORDER BY priority DESC, id LIMIT 1))
        ORDER BY priority DESC, id LIMIT 1;
        """;

    public override string DueJobInLaneQuery => """
        SELECT id, attempts FROM (
            SELECT id, attempts, priority FROM (SELECT id, attempts, priority FROM jobs WHERE state = 'pending' AND lane = @lane AND available_at <= @now ORDER BY priority DESC, id LIMIT 1)
            UNION ALL
            SELECT id, attempts, priority FROM (SELECT id, attempts, priority FROM jobs WHERE state = 'leased' AND lane = @lane AND leased_until < @now ORDER BY priority DESC, id LIMIT 1))
        ORDER BY priority DESC, id LIMIT 1;
        """;

    public override string NextMediaSequence => "(SELECT COALESCE(MAX(media_seq), 0) + 1 FROM files)";

    /// <summary>NULL: <c>seq</c> is an INTEGER PRIMARY KEY AUTOINCREMENT (never reused; one writer, so commit order).</summary>
    public override string NextListChangeSequence => "NULL";

    /// <inheritdoc/>
    public override string NextListChangeSequenceOfRow(string n) => "NULL";

    public override string JsonText(string column) => column;

    /// <summary>BINARY, SQLite's default collation, is byte order.</summary>
    public override string OrderByBytes(string column) => column;

    /// <summary>NOCASE, as the reporter index is built (ASCII letters only, as SQLite folds them).</summary>
    public override string EqualsIgnoringCase(string column, string value) => $"{column} = {value} COLLATE NOCASE";

    public override string IsNotDistinctFrom(string left, string right) => $"{left} IS {right}";

    public override string CountWhere(string condition) => $"COALESCE(SUM({condition}), 0)";

    /// <summary>Spelt out: the planner serves it from the (first DESC, second DESC) index as a range on the first column.</summary>
    public override string RowLessThan(string first, string second, string firstValue, string secondValue) =>
        $"({first} < {firstValue} OR ({first} = {firstValue} AND {second} < {secondValue}))";

    public override DbParameter CreateParameter(string name, SqlType type) => new SqliteParameter { ParameterName = name };

    public override object ToDatabase(SqlType type, object? value) => value switch
    {
        null => DBNull.Value,
        Guid guid => guid.ToString("D", CultureInfo.InvariantCulture),
        bool flag => flag ? 1L : 0L,
        _ => value,
    };

    // One writer, one transaction at a time: nothing to lock, and the callers' order is kept.

    public override Task LockAuditChainAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task LockMediaSequenceAsync(DbConnection connection, DbTransaction transaction, bool exclusive, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task LockLinkClustersAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task LockJobSubjectAsync(DbConnection connection, DbTransaction transaction, string kind, Guid subjectId, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task LockFilesAsync(DbConnection connection, DbTransaction transaction, IReadOnlyList<Guid> fileIds, CancellationToken cancellationToken) => Task.CompletedTask;

    public override Task LockFileAsync(DbConnection connection, DbTransaction transaction, Guid fileId, CancellationToken cancellationToken) => Task.CompletedTask;

    public override IReadOnlyList<Guid> InLockOrder(IReadOnlyList<Guid> reportIds) => reportIds;

    /// <summary>
    /// One statement prepared on the connection's own handle and run again for every row, with the row's UTF-8 bytes
    /// bound as they are (no string, no boxed parameter value per row), and a page cache large enough for the table's
    /// pages while it grows, put back as it was afterwards. Durability is the connection's: the rows commit with the
    /// rest of the import.
    /// </summary>
    public override async Task<(int FirstId, int Count)> ImportListRowsAsync(
        DbConnection connection, DbTransaction transaction, long listId, Action<Action<ImportRow>> fill, CancellationToken cancellationToken)
    {
        var previous = Convert.ToInt64(await connection.Command(transaction, "PRAGMA cache_size;").ScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
        await connection.Command(transaction, "PRAGMA cache_size = -262144;").RunAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // One writer: nobody else takes ids meanwhile.
            var firstId = Convert.ToInt32(
                await Command(connection, transaction, "SELECT next_entry_id FROM lists WHERE id = @list;").With("@list", listId).ScalarAsync(cancellationToken).ConfigureAwait(false),
                CultureInfo.InvariantCulture);
            var count = InsertRows(((SqliteConnection)connection).Handle!, listId, firstId, fill);
            await Command(connection, transaction, "UPDATE lists SET next_entry_id = next_entry_id + @count WHERE id = @list;")
                .With("@count", count)
                .With("@list", listId)
                .RunAsync(cancellationToken)
                .ConfigureAwait(false);
            return (firstId, count);
        }
        finally
        {
            // The number is ours (PRAGMA takes no parameters).
            await connection.Command(transaction, string.Create(CultureInfo.InvariantCulture, $"PRAGMA cache_size = {previous};")).RunAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int InsertRows(sqlite3 db, long listId, int firstId, Action<Action<ImportRow>> fill)
    {
        Check(db, raw.sqlite3_prepare_v2(
            db,
            "INSERT INTO list_entries (list_id, id, signal, value, label, category, source, enabled, metadata) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9);",
            out var statement));
        using (statement)
        {
            var count = 0;
            SignalType? lastType = null;
            byte[] typeName = [];
            using var metadataJson = new MetadataJsonWriter();
            Check(db, raw.sqlite3_bind_int64(statement, 1, listId));
            fill([MethodImpl(MethodImplOptions.AggressiveOptimization)] (row) =>
            {
                ArgumentNullException.ThrowIfNull(row);
                if (!ReferenceEquals(row.SignalType, lastType))
                {
                    lastType = row.SignalType;
                    typeName = Encoding.UTF8.GetBytes(lastType.Name);
                }

                Check(db, raw.sqlite3_bind_int(statement, 2, firstId + count));
                BindText(db, statement, 3, typeName, true);
                BindText(db, statement, 4, row.Value, true);
                BindText(db, statement, 5, row.Label, row.HasLabel);
                BindText(db, statement, 6, row.Category, row.HasCategory);
                BindText(db, statement, 7, row.Source, row.HasSource);
                Check(db, raw.sqlite3_bind_int(statement, 8, row.Enabled ? 1 : 0));
                BindText(db, statement, 9, metadataJson.Write(row), row.MetadataCount > 0);
                var done = raw.sqlite3_step(statement);
                raw.sqlite3_reset(statement);
                if (done != raw.SQLITE_DONE)
                {
                    Check(db, done);
                }

                count++;
            });
            return count;
        }
    }

    /// <summary>UTF-8 text, NULL when absent; an empty text is bound as '' (an empty span would bind NULL).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void BindText(sqlite3 db, sqlite3_stmt statement, int index, ReadOnlySpan<byte> text, bool present)
    {
        var rc = !present ? raw.sqlite3_bind_null(statement, index)
            : text.IsEmpty ? raw.sqlite3_bind_text(statement, index, string.Empty)
            : raw.sqlite3_bind_text(statement, index, text);
        Check(db, rc);
    }

    private static void Check(sqlite3 db, int rc) => SqliteException.ThrowExceptionForRC(rc, db);
}
