using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Matching.Lists;

namespace Needle.Core.Storage;

/// <summary>
/// Hash lists ("banks") and their entries. Every change also appends its audit entry (chained as by
/// <see cref="IAuditLog.AppendAsync"/>) in the same transaction, and only when something changed: a change is never
/// stored without its audit entry, nor an audit entry without its change.
/// </summary>
public interface IListStore
{
    /// <summary>Every list's settings, by name.</summary>
    Task<IReadOnlyList<StoredList>> GetListsAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates a list and appends <paramref name="audit"/>; false (and no audit entry) if the name is taken.</summary>
    Task<bool> CreateListAsync(StoredList list, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Deletes a list and its entries and appends <paramref name="audit"/>; false (and no audit entry) if there is none.</summary>
    Task<bool> DeleteListAsync(string name, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Every entry of a list (disabled ones too), in id order.</summary>
    /// <exception cref="KeyNotFoundException">No list has this name.</exception>
    Task<IReadOnlyList<HashListEntry>> GetEntriesAsync(string listName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Adds entries (their Id is ignored) and returns them with the ids the store assigned, in order. The audit entry
    /// is <paramref name="audit"/> applied to those stored entries (so it can name the assigned ids); none is written
    /// when <paramref name="entries"/> is empty.
    /// </summary>
    /// <exception cref="KeyNotFoundException">No list has this name (nothing is written).</exception>
    Task<IReadOnlyList<HashListEntry>> AddEntriesAsync(
        string listName,
        IReadOnlyList<HashListEntry> entries,
        Func<IReadOnlyList<HashListEntry>, AuditEntryDraft> audit,
        CancellationToken cancellationToken = default);

    /// <summary>Enables or disables an entry and appends <paramref name="audit"/>; false (and no audit entry) when the list or entry does not exist.</summary>
    Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>Removes an entry and appends <paramref name="audit"/>; false (and no audit entry) when the list or entry does not exist.</summary>
    Task<bool> RemoveEntryAsync(string listName, int entryId, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Every list with its entries and the change log's sequence, read in one snapshot: the changes after
    /// <see cref="ListSnapshot.Sequence"/> are exactly those the snapshot does not show. The default (for stores without
    /// a change log) reads the lists one by one with sequence 0.
    /// </summary>
    async Task<ListSnapshot> ReadSnapshotAsync(CancellationToken cancellationToken = default)
    {
        var lists = new List<(StoredList, IReadOnlyList<HashListEntry>)>();
        foreach (var list in await GetListsAsync(cancellationToken).ConfigureAwait(false))
        {
            lists.Add((list, await GetEntriesAsync(list.Name, cancellationToken).ConfigureAwait(false)));
        }

        return new ListSnapshot(0, lists);
    }

    /// <summary>
    /// The snapshot of <see cref="ReadSnapshotAsync(CancellationToken)"/>, streamed: for each list
    /// <paramref name="openList"/> is called with it and returns where its entries go, and every entry is handed over
    /// in id order as it is read, so neither side holds all entries as objects at once. Returns the change-log sequence
    /// the snapshot is as of. The default reads the whole snapshot first.
    /// </summary>
    async Task<long> StreamSnapshotAsync(Func<StoredList, Action<HashListEntry>> openList, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(openList);
        var snapshot = await ReadSnapshotAsync(cancellationToken).ConfigureAwait(false);
        foreach (var (list, entries) in snapshot.Lists)
        {
            var sink = openList(list);
            foreach (var entry in entries)
            {
                sink(entry);
            }
        }

        return snapshot.Sequence;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> changes of the change log after <paramref name="afterSequence"/>, in sequence
    /// order. Every change of a list or its entries appends one row in its own transaction, and sequences become
    /// visible in order (a reader never sees a sequence while a lower one can still commit), so a reader that keeps
    /// the last sequence it read misses nothing. Each change carries the current state of what it names (read in the
    /// same snapshot), so applying it again, or after a later change, is harmless. The default (no change log) is empty.
    /// </summary>
    Task<IReadOnlyList<ListChange>> ReadChangesAsync(long afterSequence, int limit, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<ListChange>>([]);

    /// <summary>
    /// As <see cref="ReadChangesAsync(long, int, CancellationToken)"/>, reading the state a change names only when
    /// <paramref name="withState"/> says so (otherwise <see cref="ListChange.Entries"/> is empty and
    /// <see cref="ListChange.List"/> null): a node skips the entries of changes it made itself and already holds, such
    /// as its own import's. The default reads every change's state.
    /// </summary>
    Task<IReadOnlyList<ListChange>> ReadChangesAsync(long afterSequence, int limit, Func<ListChange, bool> withState, CancellationToken cancellationToken = default) =>
        ReadChangesAsync(afterSequence, limit, cancellationToken);

    /// <summary>
    /// The change at exactly <paramref name="sequence"/> without the state it names (<see cref="ListChange.List"/> null,
    /// <see cref="ListChange.Entries"/> empty), and the log's last sequence: what a node checks a list snapshot against
    /// before trusting it. The change is null when the log holds none at that sequence. The default (no change log):
    /// no change, last sequence 0.
    /// </summary>
    Task<(ListChange? Change, long LastSequence)> GetChangeAtAsync(long sequence, CancellationToken cancellationToken = default) =>
        Task.FromResult<(ListChange?, long)>((null, 0));

    /// <summary>
    /// The match counts of each of <paramref name="entries"/> (list name, entry id) for the flood guard: files matched
    /// in the buckets from <paramref name="windowStart"/>'s on, and in those from <paramref name="historyStart"/>'s up
    /// to the window's; with the rate of its last release and whether it is quarantined. Entries never matched count 0.
    /// The counts are added by <see cref="IJobQueue"/> (completing a report)
    /// in the transaction that records the matches, so every node sees the same counts.
    /// </summary>
    Task<IReadOnlyList<EntryMatchRate>> GetMatchRatesAsync(
        IReadOnlyList<(string ListName, int EntryId)> entries, DateTimeOffset windowStart, DateTimeOffset historyStart, CancellationToken cancellationToken = default);

    /// <summary>
    /// Quarantines an entry: disables it, records <paramref name="quarantine"/>, appends <paramref name="audit"/> and a
    /// change-log row (so every node stops matching it). False (and no audit entry) when the entry does not exist or is
    /// quarantined already, so two nodes seeing the same surge audit it once.
    /// </summary>
    Task<bool> QuarantineEntryAsync(EntryQuarantine quarantine, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Releases a quarantined entry: enables it and keeps its quarantine rate as its baseline from now on; appends
    /// <paramref name="audit"/> and a change-log row. False (and no audit entry) when it is not quarantined.
    /// </summary>
    Task<bool> ReleaseEntryAsync(string listName, int entryId, string actor, AuditEntryDraft audit, CancellationToken cancellationToken = default);

    /// <summary>The entries of a list quarantined now, by entry id.</summary>
    Task<IReadOnlyList<EntryQuarantine>> GetQuarantinedAsync(string listName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Imports entries in one transaction: <paramref name="fill"/> is called once, inside it, with where each entry
    /// goes (its id is ignored: the store assigns the next ones, in the order given) and may throw to roll everything
    /// back. With <paramref name="createIfMissing"/> the list is created in the same transaction when it does not
    /// exist (its creation audited and logged as <see cref="CreateListAsync"/> does). The import is audited once, with
    /// <paramref name="audit"/> applied to the outcome, and logged in the list change log as ranges of at most
    /// <paramref name="changeChunk"/> ids, so a follower reads and applies it in bounded batches. Nothing of it is
    /// visible to any reader before the commit, and all of it after. <paramref name="record"/>, when given, is the
    /// import job's final record, saved in the same transaction (so it says succeeded exactly when the entries are there).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No list has this name and none is to be created (nothing is written).</exception>
    Task<ListImportOutcome> ImportEntriesAsync(
        string listName,
        StoredList? createIfMissing,
        Action<Action<HashListEntry>> fill,
        Func<ListImportOutcome, AuditEntryDraft> audit,
        AuditEntryDraft? createAudit,
        int changeChunk,
        Func<ListImportOutcome, ListImportRecord>? record,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fill);

        // Each entry is handed over as one reused row: the store has a single bulk path.
        return ImportRowsAsync(
            listName,
            createIfMissing,
            add =>
            {
                var row = new ImportRow();
                fill(entry =>
                {
                    ArgumentNullException.ThrowIfNull(entry);
                    row.Set(entry);
                    add(row);
                });
            },
            audit,
            createAudit,
            changeChunk,
            record,
            cancellationToken);
    }

    /// <summary>
    /// Whether an import goes faster with the list parsed on a thread of its own while the store writes: true for a
    /// database engine inside this process (SQLite); false (the default) where a database server does much of the
    /// write on the same cores, as PostgreSQL parses its COPY stream (a parser thread beside it measured 2.5 CPU s more
    /// per million entries there, docs/benchmarks.md).
    /// </summary>
    bool ImportOverlapsParsing => false;

    /// <summary>
    /// <see cref="ImportEntriesAsync"/> with the entries as bytes: <paramref name="fill"/> hands over one reused
    /// <see cref="ImportRow"/> per entry (valid during the call), which the store writes without making an entry
    /// object or, where its driver allows, a string. The rows' ids are ignored (the store assigns them in order).
    /// </summary>
    /// <exception cref="KeyNotFoundException">No list has this name and none is to be created (nothing is written).</exception>
    Task<ListImportOutcome> ImportRowsAsync(
        string listName,
        StoredList? createIfMissing,
        Action<Action<ImportRow>> fill,
        Func<ListImportOutcome, AuditEntryDraft> audit,
        AuditEntryDraft? createAudit,
        int changeChunk,
        Func<ListImportOutcome, ListImportRecord>? record,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// Streams the entries of <paramref name="listName"/> with ids <paramref name="firstEntryId"/> to
    /// <paramref name="lastEntryId"/> (those that exist, in id order) to <paramref name="sink"/>, from one snapshot.
    /// </summary>
    Task StreamEntriesAsync(string listName, int firstEntryId, int lastEntryId, Action<HashListEntry> sink, CancellationToken cancellationToken = default);

    /// <summary>Records a list import job as it is now (insert or replace).</summary>
    Task SaveImportAsync(ListImportRecord record, CancellationToken cancellationToken = default);

    /// <summary>A list import job; null when there is none with this id.</summary>
    Task<ListImportRecord?> GetImportAsync(Guid id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Marks failed, with <paramref name="reason"/>, the running imports whose node <paramref name="isAbandoned"/>
    /// says is dead (their transaction died with it: nothing of them was kept). Returns how many.
    /// </summary>
    Task<int> FailAbandonedImportsAsync(Func<string, bool> isAbandoned, string reason, CancellationToken cancellationToken = default);
}
