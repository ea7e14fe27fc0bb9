using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Matching.Index;
using Needle.Matching.Lists;
using Needle.Video;

namespace Needle.Application.Lists;

/// <summary>
/// The hash lists in memory, kept in step with <see cref="IListStore"/>. Every change is written to the store together
/// with its audit entry (one transaction: no change without its entry), then applied in memory (seen by the next
/// <see cref="Match"/>). Changes are serialised so memory applies them in the store's order. Entry changes reach the
/// live matcher without a rebuild; creating or deleting a list builds a new <see cref="ListMatcher"/> and swaps it in.
/// Changes made by other processes on the same database arrive through the store's list change log:
/// <see cref="CatchUpAsync"/> applies those after <see cref="Sequence"/> the same way (entries in place, a rebuild only
/// for a list created or deleted), skipping what this host did itself.
/// </summary>
public sealed partial class HashListService : IDisposable
{
    private const int MaxListNameLength = 100;

    /// <summary>Changes read from the log per round trip.</summary>
    private const int ChangeBatch = 256;

    /// <summary>Ids per change-log row of an import: a follower reads at most <see cref="ChangeBatch"/> times this many entries at once.</summary>
    private const int ImportChangeChunk = 1024;

    private readonly IListStore _store;
    private readonly TimeProvider _time;
    private readonly ListMatcherOptions _options;
    private readonly string? _detailDirectory;
    private readonly SemaphoreSlim _writes = new(1, 1);

    // List creations and deletions this host made and applied, not yet seen again in the change log (guarded by _writes).
    private readonly Dictionary<string, int> _ownCreates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ownDeletes = new(StringComparer.Ordinal);

    // Replaced whole (never mutated) so readers need no lock.
    private volatile State _state;
    private long _sequence;

    // The vPDQ entries of every list, updated entry by entry under _writes; rebuilt on reload.
    private volatile VideoListIndex _videos;
    private bool _disposed;

    private HashListService(IListStore store, TimeProvider time, ListMatcherOptions options, string? detailDirectory, State state, long sequence)
    {
        _store = store;
        _detailDirectory = detailDirectory;
        _time = time;
        _options = options;
        _state = state;
        _sequence = sequence;
        _videos = new VideoListIndex(state.Lists);
    }

    /// <summary>Loads every list and its entries from the store, with the change-log sequence they are current to.</summary>
    public static Task<HashListService> LoadAsync(IListStore lists, TimeProvider time, ListMatcherOptions? options = null, CancellationToken ct = default) =>
        LoadAsync(lists, time, options, null, ct);

    /// <summary>
    /// Loads every list as <see cref="LoadAsync(IListStore, TimeProvider, ListMatcherOptions?, CancellationToken)"/>,
    /// streaming the entries into compact lists; with <paramref name="detailDirectory"/> the entries' labels, categories,
    /// sources and metadata go to temporary files there (read back only for matches) instead of memory.
    /// </summary>
    public static async Task<HashListService> LoadAsync(IListStore lists, TimeProvider time, ListMatcherOptions? options, string? detailDirectory, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(time);
        options ??= new ListMatcherOptions();
        var (loaded, sequence) = await LoadListsAsync(lists, detailDirectory, ct).ConfigureAwait(false);
        return new HashListService(lists, time, options, detailDirectory, State.Create(loaded, options), sequence);
    }

    /// <summary>The last change-log sequence applied: every change up to it is in memory.</summary>
    public long Sequence => Interlocked.Read(ref _sequence);

    /// <summary>
    /// The current matcher. It is replaced (and the old one disposed) when a list is created or deleted, so hold it
    /// only for one call; <see cref="Match"/> handles the swap for you.
    /// </summary>
    public ListMatcher Matcher => _state.Matcher;

    /// <summary>The lists, ordered by name.</summary>
    public IReadOnlyList<HashList> Lists => _state.Lists;

    /// <summary>The list named <paramref name="name"/>, if any.</summary>
    public HashList? FindList(string name) => _state.ByName.GetValueOrDefault(name);

    /// <summary>Matches against the current lists; safe while lists are created or deleted concurrently.</summary>
    public MatchResult Match(FileSignals signals)
    {
        while (true)
        {
            var state = _state;
            try
            {
                return state.Matcher.Match(signals);
            }
            catch (ObjectDisposedException) when (!ReferenceEquals(state, _state))
            {
                // The matcher was swapped out mid-call: retry on the new one.
            }
        }
    }

    /// <summary>Matches a video's vPDQ hash (and MD5) against the vPDQ entries of every list; safe during list changes.</summary>
    public IReadOnlyList<VideoListMatch> MatchVideo(VideoHash video, VpdqMatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(video);
        return _videos.Match(video, options);
    }

    /// <summary>Creates an empty list ("list.create", audited with <paramref name="actor"/> and <paramref name="remoteAddress"/>).</summary>
    /// <exception cref="ArgumentException">The name is not 1-100 of letters, digits, '.', '_' or '-' (starting with a letter or digit), or the threshold is out of range.</exception>
    /// <exception cref="ListAlreadyExistsException">The name is taken.</exception>
    public async Task<HashList> CreateListAsync(string name, HashListKind kind, double? pdqThreshold, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ValidateListName(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (!Enum.IsDefined(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown list kind.");
        }

        if (pdqThreshold is { } threshold)
        {
            if (threshold != Math.Floor(threshold) || threshold > 256)
            {
                throw new ArgumentOutOfRangeException(nameof(pdqThreshold), threshold, "A PDQ threshold is a whole number of bits from 0 to 256.");
            }

            SignalTypes.Pdq.ValidateThreshold(threshold);
        }

        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var stored = new StoredList(name, kind, pdqThreshold, null, _time.GetUtcNow());
            var details = JsonSerializer.Serialize(new ListAuditDetails(kind.ToString(), pdqThreshold, null), DocumentJson.Options);
            if (!await _store.CreateListAsync(stored, Draft(actor, remoteAddress, "list.create", name, details), ct).ConfigureAwait(false))
            {
                throw new ListAlreadyExistsException(name);
            }

            var list = ToHashList(stored);
            SwapState([.. _state.Lists, list]);
            CollectionsMarshal.GetValueRefOrAddDefault(_ownCreates, name, out _)++;
            return list;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Deletes a list and its entries ("list.delete"); false when there is none.</summary>
    public async Task<bool> DeleteListAsync(string name, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!await _store.DeleteListAsync(name, Draft(actor, remoteAddress, "list.delete", name, null), ct).ConfigureAwait(false))
            {
                return false;
            }

            SwapState([.. _state.Lists.Where(l => !string.Equals(l.Name, name, StringComparison.Ordinal))]);
            CollectionsMarshal.GetValueRefOrAddDefault(_ownDeletes, name, out _)++;
            _videos.RemoveList(name);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Adds entries (their ids are ignored; the store assigns them) and returns them with their ids ("list.entries.add").</summary>
    /// <exception cref="ListNotFoundException">No list has this name.</exception>
    public async Task<IReadOnlyList<HashListEntry>> AddEntriesAsync(string listName, IReadOnlyList<HashListEntry> entries, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        if (entries.Any(static e => e is null))
        {
            throw new ArgumentException("An entry is null.", nameof(entries));
        }

        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var list = FindList(listName) ?? throw new ListNotFoundException(listName);
            if (entries.Count == 0)
            {
                return [];
            }

            var added = await _store.AddEntriesAsync(
                    listName,
                    [.. entries.Select(static e => e with { Id = 0 })],
                    stored => Draft(
                        actor,
                        remoteAddress,
                        "list.entries.add",
                        listName,
                        JsonSerializer.Serialize(
                            new EntriesAuditDetails(stored.Count, stored.Count > 0 ? stored[0].Id : null, stored.Count > 0 ? stored[^1].Id : null),
                            DocumentJson.Options)),
                    ct)
                .ConfigureAwait(false);
            list.AddRange(added);
            foreach (var entry in added)
            {
                _videos.Add(list, entry);
            }

            return added;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Imports entries streamed by <paramref name="fill"/> (see <see cref="IListStore.ImportEntriesAsync"/>) in one
    /// transaction, creating the list as <paramref name="createIfMissing"/> says when there is none; audited once as
    /// "list.import" with <paramref name="auditDetails"/> of the outcome; <paramref name="record"/>, if given, is the
    /// import job's final record, saved in the same transaction. Once committed the entries are read back from
    /// the store and added to the live list in one batch (the PDQ index is built once), holding no more than a buffer.
    /// </summary>
    /// <exception cref="ListNotFoundException">No list has this name and none is to be created.</exception>
    public async Task<ListImportOutcome> ImportAsync(
        string listName,
        StoredList? createIfMissing,
        Action<Action<HashListEntry>> fill,
        Func<ListImportOutcome, string?> auditDetails,
        Func<ListImportOutcome, ListImportRecord>? record,
        string actor,
        string? remoteAddress = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fill);
        ArgumentNullException.ThrowIfNull(auditDetails);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        ValidateListName(listName);
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var create = FindList(listName) is null ? createIfMissing : null;
            ListImportOutcome outcome;
            try
            {
                outcome = await _store.ImportEntriesAsync(
                        listName,
                        create,
                        fill,
                        result => Draft(actor, remoteAddress, "list.import", listName, auditDetails(result)),
                        create is null ? null : Draft(actor, remoteAddress, "list.create", listName,
                            JsonSerializer.Serialize(new ListAuditDetails(create.Kind.ToString(), create.PdqThreshold, create.PhotoDnaThreshold), DocumentJson.Options)),
                        ImportChangeChunk,
                        record,
                        ct)
                    .ConfigureAwait(false);
            }
            catch (KeyNotFoundException)
            {
                throw new ListNotFoundException(listName);
            }

            var list = FindList(listName);
            if (list is null && outcome.ListCreated)
            {
                list = ToHashList(create!);
                SwapState([.. _state.Lists, list]);
                CollectionsMarshal.GetValueRefOrAddDefault(_ownCreates, listName, out _)++;
            }

            // A list another node created meanwhile comes with its entries through the change log.
            if (list is not null && outcome.Count > 0)
            {
                await AddStoredRangeAsync(list, outcome.FirstEntryId, outcome.LastEntryId, ct).ConfigureAwait(false);
            }

            return outcome;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Streams stored entries first..last into the live list as one batch, through a bounded buffer.</summary>
    private async Task AddStoredRangeAsync(HashList list, int first, int last, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var buffer = new System.Collections.Concurrent.BlockingCollection<HashListEntry>(8192);
        var reading = Task.Run(
            async () =>
            {
                try
                {
                    await _store.StreamEntriesAsync(list.Name, first, last, entry => buffer.Add(entry, stop.Token), stop.Token).ConfigureAwait(false);
                }
                finally
                {
                    buffer.CompleteAdding();
                }
            },
            CancellationToken.None);
        try
        {
            // The caller's thread takes the entries as they come; the batch ends when the reader does.
            var added = await Task.Run(() => list.AddRange(buffer.GetConsumingEnumerable(stop.Token)), CancellationToken.None).ConfigureAwait(false);
            foreach (var entry in added)
            {
                _videos.Add(list, entry);
            }
        }
        catch
        {
            await stop.CancelAsync().ConfigureAwait(false);
            throw;
        }
        finally
        {
            try
            {
                await reading.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // Stopped because the adding side failed: its error is the one thrown.
            }
        }
    }

    /// <summary>Enables or disables an entry ("list.entry.enable" / "list.entry.disable"); false when the list or entry does not exist.</summary>
    public async Task<bool> SetEntryEnabledAsync(string listName, int entryId, bool enabled, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var audit = Draft(actor, remoteAddress, enabled ? "list.entry.enable" : "list.entry.disable", $"{listName}/{entryId}", null);
            if (FindList(listName) is not { } list || !await _store.SetEntryEnabledAsync(listName, entryId, enabled, audit, ct).ConfigureAwait(false))
            {
                return false;
            }

            list.SetEnabled(entryId, enabled);
            _videos.SetEnabled(listName, entryId, enabled);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>Removes an entry ("list.entry.remove"); false when the list or entry does not exist.</summary>
    public async Task<bool> RemoveEntryAsync(string listName, int entryId, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var audit = Draft(actor, remoteAddress, "list.entry.remove", $"{listName}/{entryId}", null);
            if (FindList(listName) is not { } list || !await _store.RemoveEntryAsync(listName, entryId, audit, ct).ConfigureAwait(false))
            {
                return false;
            }

            list.Remove(entryId);
            _videos.Remove(listName, entryId);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Quarantines an entry for the flood guard ("list.entry.quarantine" by <see cref="FloodGuard.Actor"/>, with its
    /// rate): it stays in the list, disabled here at once and on every other node through the change log. False when
    /// the entry does not exist or is quarantined already (by this or another node).
    /// </summary>
    public async Task<bool> QuarantineAsync(EntryQuarantine quarantine, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(quarantine);
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var details = JsonSerializer.Serialize(
                new QuarantineAuditDetails(quarantine.Matches, quarantine.Baseline, quarantine.Window.TotalHours),
                DocumentJson.Options);
            var audit = Draft(FloodGuard.Actor, null, "list.entry.quarantine", $"{quarantine.ListName}/{quarantine.EntryId}", details);
            if (!await _store.QuarantineEntryAsync(quarantine, audit, ct).ConfigureAwait(false))
            {
                return false;
            }

            if (FindList(quarantine.ListName) is { } list)
            {
                list.SetEnabled(quarantine.EntryId, false);
                _videos.SetEnabled(quarantine.ListName, quarantine.EntryId, false);
            }

            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Releases a quarantined entry ("list.entry.release"): it matches again, and the rate it was quarantined at
    /// becomes its baseline. False when the list has no such entry in quarantine.
    /// </summary>
    public async Task<bool> ReleaseAsync(string listName, int entryId, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var audit = Draft(actor, remoteAddress, "list.entry.release", $"{listName}/{entryId}", null);
            if (FindList(listName) is not { } list || !await _store.ReleaseEntryAsync(listName, entryId, actor, audit, ct).ConfigureAwait(false))
            {
                return false;
            }

            list.SetEnabled(entryId, true);
            _videos.SetEnabled(listName, entryId, true);
            return true;
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>The entries of a list in quarantine now, with their rates.</summary>
    /// <exception cref="ListNotFoundException">No list has this name.</exception>
    public async Task<IReadOnlyList<EntryQuarantine>> GetQuarantinedAsync(string listName, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(listName);
        _ = FindList(listName) ?? throw new ListNotFoundException(listName);
        return await _store.GetQuarantinedAsync(listName, ct).ConfigureAwait(false);
    }

    /// <summary>Reads every list again from the store and swaps them in (after a change made outside this process).</summary>
    public async Task ReloadAsync(CancellationToken ct = default)
    {
        await _writes.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var (loaded, sequence) = await LoadListsAsync(_store, _detailDirectory, ct).ConfigureAwait(false);
            var old = _state;
            _state = State.Create(loaded, _options);
            Interlocked.Exchange(ref _sequence, sequence);
            _ownCreates.Clear();
            _ownDeletes.Clear();
            old.Matcher.Dispose();
            _videos = new VideoListIndex(_state.Lists);
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Applies the store's list changes after <see cref="Sequence"/>: entries are added, enabled, disabled and removed
    /// in the live lists (no rebuild); a list created or deleted rebuilds the matcher once per batch. Changes this host
    /// made itself are already in memory and change nothing. Returns how many changes were read.
    /// </summary>
    public async Task<int> CatchUpAsync(CancellationToken ct = default)
    {
        var total = 0;
        while (true)
        {
            await _writes.WaitAsync(ct).ConfigureAwait(false);
            int read;
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                var changes = await _store.ReadChangesAsync(Sequence, ChangeBatch, ct).ConfigureAwait(false);
                read = changes.Count;
                if (read > 0)
                {
                    Apply(changes);
                    Interlocked.Exchange(ref _sequence, changes[^1].Sequence);
                }
            }
            finally
            {
                _writes.Release();
            }

            total += read;
            if (read < ChangeBatch)
            {
                return total;
            }
        }
    }

    /// <summary>Waits for a change in progress, then disposes the live matcher; later changes throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        _writes.Wait();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _state.Matcher.Dispose();
        }
        finally
        {
            _writes.Release();
        }
    }

    internal static void ValidateListName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length > MaxListNameLength || !ListName().IsMatch(name))
        {
            throw new ArgumentException(
                $"A list name is 1 to {MaxListNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit; got {Shown(name)}.", nameof(name));
        }
    }

    /// <summary>A bad name as quoted back: a long one cut (its length said), so a 100 KB name is not echoed whole.</summary>
    private static string Shown(string name) => name.Length > 64 ? $"'{name[..64]}...' ({name.Length} characters)" : $"'{name}'";

    /// <summary>Applies one batch of the change log in order (under <see cref="_writes"/>).</summary>
    private void Apply(IReadOnlyList<ListChange> changes)
    {
        // The lists as they become; the matcher is rebuilt at the end only if a list came or went.
        var lists = new Dictionary<string, HashList>(_state.ByName, StringComparer.Ordinal);
        var listsChanged = false;
        foreach (var change in changes)
        {
            switch (change.Kind)
            {
                case ListChangeKind.ListCreated:
                    if (TakeOwn(_ownCreates, change.ListName))
                    {
                        break;
                    }

                    // Null: deleted again since; its deletion follows in the log.
                    if (change.List is { } stored)
                    {
                        lists[change.ListName] = ToHashList(stored);
                        listsChanged = true;
                    }

                    break;
                case ListChangeKind.ListDeleted:
                    if (!TakeOwn(_ownDeletes, change.ListName) && lists.Remove(change.ListName))
                    {
                        _videos.RemoveList(change.ListName);
                        listsChanged = true;
                    }

                    break;
                case ListChangeKind.EntriesChanged:
                    if (lists.TryGetValue(change.ListName, out var list))
                    {
                        ApplyEntries(list, change);
                    }

                    break;
                default:
                    throw new InvalidDataException($"Unknown list change kind {change.Kind}.");
            }
        }

        if (listsChanged)
        {
            SwapState([.. lists.Values]);
        }
    }

    /// <summary>
    /// Brings entries FirstEntryId..LastEntryId of <paramref name="list"/> to their stored state: present (with its
    /// enabled flag) or gone, in the lists and in the video index alike.
    /// </summary>
    private void ApplyEntries(HashList list, ListChange change)
    {
        var stored = change.Entries;
        var next = 0;

        // New entries go in as one batch (an import's range is 1,024 ids): matchers take a batch in one go.
        List<HashListEntry>? added = null;
        for (var id = change.FirstEntryId; id <= change.LastEntryId && id > 0; id++)
        {
            while (next < stored.Count && stored[next].Id < id)
            {
                next++;
            }

            if (next < stored.Count && stored[next].Id == id)
            {
                var entry = stored[next];
                if (list.TryGet(id, out var current))
                {
                    if (current.Enabled != entry.Enabled)
                    {
                        list.SetEnabled(id, entry.Enabled);
                        _videos.SetEnabled(list.Name, id, entry.Enabled);
                    }
                }
                else
                {
                    (added ??= []).Add(entry);
                }
            }
            else if (list.Remove(id))
            {
                _videos.Remove(list.Name, id);
            }
        }

        if (added is not null)
        {
            foreach (var entry in list.AddRange(added))
            {
                _videos.Add(list, entry);
            }
        }
    }

    private static bool TakeOwn(Dictionary<string, int> own, string name)
    {
        ref var count = ref CollectionsMarshal.GetValueRefOrNullRef(own, name);
        if (Unsafe.IsNullRef(ref count))
        {
            return false;
        }

        if (--count == 0)
        {
            own.Remove(name);
        }

        return true;
    }

    private void SwapState(IReadOnlyList<HashList> lists)
    {
        // The lists keep their entries; only the matcher (which holds a fixed set of lists) is rebuilt.
        var old = _state;
        _state = State.Create(lists, _options);
        old.Matcher.Dispose();
    }

    // The store appends it in the change's own transaction, so there is no change without its audit entry.
    private static AuditEntryDraft Draft(string actor, string? remoteAddress, string action, string target, string? details) =>
        new(actor, action, $"list/{target}", details, remoteAddress);

    private static async Task<(List<HashList> Lists, long Sequence)> LoadListsAsync(IListStore store, string? detailDirectory, CancellationToken ct)
    {
        var result = new List<HashList>();
        var sequence = await store.StreamSnapshotAsync(
                stored =>
                {
                    var list = ToHashList(stored, detailDirectory);
                    result.Add(list);
                    return entry => list.Add(entry);
                },
                ct)
            .ConfigureAwait(false);
        return (result, sequence);
    }

    private HashList ToHashList(StoredList stored) => ToHashList(stored, _detailDirectory);

    private static HashList ToHashList(StoredList stored, string? detailDirectory)
    {
        var list = new HashList(stored.Name, stored.Kind, detailDirectory);
        if (stored.PdqThreshold is { } pdq)
        {
            list.SetThreshold(SignalTypes.Pdq, pdq);
        }

        if (stored.PhotoDnaThreshold is { } photoDna)
        {
            list.SetThreshold(SignalTypes.PhotoDna, photoDna);
        }

        return list;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex ListName();

    private sealed record ListAuditDetails(string Kind, double? PdqThreshold, double? PhotoDnaThreshold);

    private sealed record EntriesAuditDetails(int Count, int? FirstId, int? LastId);

    private sealed record QuarantineAuditDetails(long Matches, double Baseline, double WindowHours);

    /// <summary>The lists and the matcher built on them, swapped as one.</summary>
    private sealed class State
    {
        private State(HashList[] lists, ListMatcher matcher)
        {
            Lists = lists;
            Matcher = matcher;
            ByName = lists.ToDictionary(static l => l.Name, StringComparer.Ordinal);
        }

        public HashList[] Lists { get; }

        public ListMatcher Matcher { get; }

        public Dictionary<string, HashList> ByName { get; }

        public static State Create(IEnumerable<HashList> lists, ListMatcherOptions options)
        {
            HashList[] sorted = [.. lists.OrderBy(static l => l.Name, StringComparer.Ordinal)];
            return new State(sorted, new ListMatcher(sorted, static () => new MultiIndexHammingIndex(), options));
        }
    }
}
