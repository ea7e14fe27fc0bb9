using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Core.Serialization;
using Needle.Core.Storage;
using Needle.Hashing;
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
/// <remarks>
/// With <see cref="ListSnapshotOptions"/> a node keeps one snapshot file per list (<see cref="HashListSnapshotFile"/>:
/// columns and details, checksummed, written atomically, with the list's generation and the change-log sequence it
/// covers) and starts from them: each list's newest snapshot is loaded and the change log after it applied. A snapshot
/// that is damaged (truncated, bit-flipped), of another list or database, of another format version, or ahead of the
/// database's log is logged with the reason and that list is read from the store instead. Snapshots are written again
/// in the background after <see cref="ListSnapshotOptions.RefreshAfterChanges"/> entry changes and by
/// <see cref="WriteSnapshotsAsync"/> (on a clean shutdown).
/// </remarks>
public sealed partial class HashListService : IDisposable
{
    private const int MaxListNameLength = 100;

    /// <summary>Changes read from the log per round trip.</summary>
    private const int ChangeBatch = 256;

    /// <summary>File name extension of list snapshots.</summary>
    private const string SnapshotExtension = ".ndls";

    /// <summary>Ids per change-log row of an import: a follower reads at most <see cref="ChangeBatch"/> times this many entries at once.</summary>
    private const int ImportChangeChunk = 1024;

    private readonly IListStore _store;
    private readonly TimeProvider _time;
    private readonly ListMatcherOptions _options;
    private readonly string? _detailDirectory;
    private readonly SemaphoreSlim _writes = new(1, 1);
    private readonly ListSnapshotOptions? _snapshots;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<HashList, StrongBox<long>> _generations;
    private readonly SemaphoreSlim _snapshotGate = new(1, 1);
    private long _changesSinceSnapshot;
    private int _refreshing;

    // While catching up after a start from snapshots: per list, the sequence its snapshot covered (under _writes).
    private Dictionary<string, long>? _covered;

    // List creations and deletions this host made and applied, not yet seen again in the change log (guarded by _writes).
    private readonly Dictionary<string, int> _ownCreates = new(StringComparer.Ordinal);

    // The change-log sequences of this node's own imports, applied from their stage: catching up skips their entries
    // (reading them back would cost as much as the import, minutes at 100M entries).
    private readonly List<(long First, long Last)> _ownImportChanges = [];

    // The change-log sequence the last snapshots this process wrote cover (-1: none yet): with nothing changed since, a
    // refresh or a shutdown has nothing to write (at 100M entries a write is minutes of work).
    private long _writtenSequence = -1;
    private readonly Dictionary<string, int> _ownDeletes = new(StringComparer.Ordinal);

    // Replaced whole (never mutated) so readers need no lock.
    private volatile State _state;
    private long _sequence;

    // The vPDQ entries of every list, updated entry by entry under _writes; rebuilt on reload.
    private volatile VideoListIndex _videos;

    // The robust entries of every list, when the robust tier is on (UseRobust); updated entry by entry under _writes.
    private volatile RobustListIndex? _robust;

    // Lists already reported as holding robust entries of another model.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _robustModelWarned = new(StringComparer.Ordinal);
    private bool _disposed;

    private HashListService(
        IListStore store, TimeProvider time, ListMatcherOptions options, string? detailDirectory, State state, long sequence,
        ListSnapshotOptions? snapshots, ILogger logger, ConditionalWeakTable<HashList, StrongBox<long>> generations)
    {
        _store = store;
        _snapshots = snapshots;
        _logger = logger;
        _generations = generations;
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
    public static Task<HashListService> LoadAsync(IListStore lists, TimeProvider time, ListMatcherOptions? options, string? detailDirectory, CancellationToken ct = default) =>
        LoadAsync(lists, time, options, detailDirectory, null, null, ct);

    /// <summary>
    /// Loads every list as <see cref="LoadAsync(IListStore, TimeProvider, ListMatcherOptions?, string?, CancellationToken)"/>;
    /// with <paramref name="snapshots"/> from the lists' snapshot files where they are valid (the rest from the store),
    /// then applies the change log after them, and keeps the snapshots up to date from then on.
    /// </summary>
    /// <param name="lists">The store.</param>
    /// <param name="time">The clock.</param>
    /// <param name="options">Matching options.</param>
    /// <param name="detailDirectory">Where entry details of entries read from the store go (null: memory).</param>
    /// <param name="snapshots">Where snapshots live and how often they are refreshed; null: none.</param>
    /// <param name="logger">Where snapshot use, rejection (with the reason) and writes are logged.</param>
    /// <param name="ct">Cancels the load.</param>
    public static async Task<HashListService> LoadAsync(
        IListStore lists, TimeProvider time, ListMatcherOptions? options, string? detailDirectory, ListSnapshotOptions? snapshots, ILogger? logger, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(time);
        options ??= new ListMatcherOptions();
        logger ??= NullLogger.Instance;
        var generations = new ConditionalWeakTable<HashList, StrongBox<long>>();
        var started = time.GetTimestamp();
        var cpu = new StartCpu { Started = Environment.CpuUsage.TotalTime };
        if (snapshots is null)
        {
            var (loaded, sequence) = await LoadListsAsync(lists, detailDirectory, generations, ct).ConfigureAwait(false);
            var read = time.GetTimestamp();
            cpu.Read = Environment.CpuUsage.TotalTime;
            var state = State.Create(loaded, options);
            var built = time.GetTimestamp();
            cpu.Built = Environment.CpuUsage.TotalTime;
            var plain = new HashListService(lists, time, options, detailDirectory, state, sequence, null, logger, generations);
            ReleaseLoadGarbage();
            LogStart(logger, time, loaded, started, read, built, built, cpu);
            return plain;
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(snapshots.RefreshAfterChanges);
        var (fromSnapshots, start, covered) = await LoadWithSnapshotsAsync(lists, detailDirectory, snapshots, generations, logger, ct).ConfigureAwait(false);
        var loadedAt = time.GetTimestamp();
        cpu.Read = Environment.CpuUsage.TotalTime;
        var created = State.Create(fromSnapshots, options);
        var builtAt = time.GetTimestamp();
        cpu.Built = Environment.CpuUsage.TotalTime;
        var service = new HashListService(lists, time, options, detailDirectory, created, start, snapshots, logger, generations)
        {
            _covered = covered,
        };
        try
        {
            await service.CatchUpAsync(ct).ConfigureAwait(false);
            service._covered = null;
            var caughtUp = time.GetTimestamp();
            ReleaseLoadGarbage();
            LogStart(logger, time, fromSnapshots, started, loadedAt, builtAt, caughtUp, cpu);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
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

    /// <summary>
    /// Turns the robust tier on: the enabled <c>robust</c> entries of every list are matched by
    /// <see cref="MatchRobust"/>, and follow every later change (this host's and, through the change log, other nodes').
    /// </summary>
    public void UseRobust(Needle.Robust.RobustFeatureExtractor extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        _writes.Wait();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var index = new RobustListIndex(extractor, IsCurrent, mismatch =>
            {
                // Once per list for the service's life, however often the matcher is rebuilt.
                if (_robustModelWarned.TryAdd(mismatch.ListName, 0))
                {
                    LogRobustModelMismatch(_logger, mismatch.ListName, mismatch.ListModelId, mismatch.ModelId);
                }
            });
            index.Rebuild(_state.Lists);
            var old = _robust;
            _robust = index;
            old?.Dispose();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>The robust tier's extractor when it is on (<see cref="UseRobust"/>), else null.</summary>
    public Needle.Robust.RobustFeatureExtractor? RobustExtractor => _robust?.Extractor;

    /// <summary>Whether any list holds an enabled robust entry (so the robust tier has something to find).</summary>
    public bool HasRobustEntries => _robust is { Count: > 0 };

    /// <summary>
    /// The listed pictures <paramref name="image"/> shows by the robust tier (its features <paramref name="features"/>
    /// already computed), best first; no match when the tier is off or no list holds robust entries. Thread-safe.
    /// </summary>
    public MatchResult MatchRobust(DecodedImage image, RobustFeatures features, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(features);
        return _robust is { } robust ? robust.Match(image, features, ct) : MatchResult.FromMatches([]);
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
            _robust?.Rebuild(_state.Lists);
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
                _robust?.Add(list, entry);
            }

            NoteChanges(added.Count);

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
    /// import job's final record, saved in the same transaction. The parser runs on a thread of its own while the
    /// store writes what it parsed before (<see cref="ImportPipeline"/>). The entries the store is handed are also
    /// staged here (<see cref="ImportStage"/>: a temporary file written and read in sequence); once the store has
    /// committed, the staged entries are added to the live list in one batch (the PDQ index is built once) with the
    /// ids the store assigned, without reading anything back. Other nodes follow through the change log.
    /// </summary>
    /// <exception cref="ListNotFoundException">No list has this name and none is to be created.</exception>
    public async Task<ListImportOutcome> ImportAsync(
        string listName,
        StoredList? createIfMissing,
        Action<Action<ImportRow>> fill,
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

            // What the store is handed, in its order (it gives them ids first, first + 1, ... in that order), staged
            // to go live once it commits.
            using var stage = new ImportStage(_detailDirectory);
            try
            {
                outcome = await _store.ImportRowsAsync(
                        listName,
                        create,
                        add =>
                        {
                            if (_store.ImportOverlapsParsing)
                            {
                                ImportPipeline.Run(fill, stage, add);
                            }
                            else
                            {
                                ImportPipeline.RunInline(fill, stage, add);
                            }
                        },
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
                if (outcome.LastChangeSequence > 0)
                {
                    _ownImportChanges.Add((outcome.FirstChangeSequence, outcome.LastChangeSequence));
                }

                if (stage.Count != outcome.Count)
                {
                    throw new InvalidOperationException($"The store imported {outcome.Count} entries of the {stage.Count} handed to it.");
                }

                // Added column by column from the staged bytes; only the few entries the video and robust indexes
                // take are made into objects.
                List<int>? others = null;
                await Task.Run(
                        () => list.AddRows(
                            stage.Read(outcome.FirstEntryId),
                            stage.Count,
                            row =>
                            {
                                if (row.SignalType == SignalTypes.Vpdq || row.SignalType == SignalTypes.Robust)
                                {
                                    (others ??= []).Add(row.Id);
                                }
                            }),
                        CancellationToken.None)
                    .ConfigureAwait(false);
                foreach (var id in others ?? [])
                {
                    if (list.TryGet(id, out var entry))
                    {
                        _videos.Add(list, entry);
                        _robust?.Add(list, entry);
                    }
                }

                NoteChanges(outcome.Count);
            }

            return outcome;
        }
        finally
        {
            _writes.Release();
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
            RobustEnabled(list, entryId, enabled);
            NoteChanges(1);
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

            var robust = IsRobust(list, entryId);
            list.Remove(entryId);
            _videos.Remove(listName, entryId);
            if (robust)
            {
                RobustStale();
            }

            NoteChanges(1);
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
                RobustEnabled(list, quarantine.EntryId, false);
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
            RobustEnabled(list, entryId, true);
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
            var (loaded, sequence) = await LoadListsAsync(_store, _detailDirectory, _generations, ct).ConfigureAwait(false);
            var old = _state;
            _state = State.Create(loaded, _options);
            Interlocked.Exchange(ref _sequence, sequence);
            _ownCreates.Clear();
            _ownDeletes.Clear();
            _ownImportChanges.Clear();
            old.Matcher.Dispose();
            _videos = new VideoListIndex(_state.Lists);
            _robust?.Rebuild(_state.Lists);
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
                var changes = _ownImportChanges.Count == 0
                    ? await _store.ReadChangesAsync(Sequence, ChangeBatch, ct).ConfigureAwait(false)
                    : await _store.ReadChangesAsync(Sequence, ChangeBatch, change => !IsOwnImportChange(change), ct).ConfigureAwait(false);
                read = changes.Count;
                if (read > 0)
                {
                    Apply(changes);
                    Interlocked.Exchange(ref _sequence, changes[^1].Sequence);
                    _ownImportChanges.RemoveAll(own => own.Last <= Sequence);
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

    /// <summary>Whether <paramref name="change"/> is one of this node's own imports' change rows (callers hold the write gate).</summary>
    private bool IsOwnImportChange(ListChange change)
    {
        if (change.Kind != ListChangeKind.EntriesChanged)
        {
            return false;
        }

        foreach (var (first, last) in _ownImportChanges)
        {
            if (change.Sequence >= first && change.Sequence <= last)
            {
                return true;
            }
        }

        return false;
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
            _robust?.Dispose();
        }
        finally
        {
            _writes.Release();
        }
    }

    /// <summary>
    /// Writes a snapshot of every list now, covering <see cref="Sequence"/> (what a clean shutdown does; done in the
    /// background after <see cref="ListSnapshotOptions.RefreshAfterChanges"/> changes), and deletes the snapshots of
    /// lists that are gone. Changes wait only while the lists' columns are copied, not while files are written. Does
    /// nothing without <see cref="ListSnapshotOptions"/>.
    /// </summary>
    public async Task WriteSnapshotsAsync(CancellationToken ct = default)
    {
        if (_snapshots is null)
        {
            return;
        }

        await _snapshotGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // Up to the log's end first, so the snapshot covers (and is anchored at) the newest sequence this node can
            // name: its own changes are in memory but only counted as covered once read back from the log.
            var started = _time.GetTimestamp();
            await CatchUpAsync(ct).ConfigureAwait(false);
            var captures = new List<(HashListCapture Capture, string Name, long Generation)>();
            long sequence;
            string anchor;
            await _writes.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                sequence = Sequence;
                if (sequence == Interlocked.Read(ref _writtenSequence))
                {
                    Interlocked.Exchange(ref _changesSinceSnapshot, 0);
                    return;
                }

                anchor = sequence > 0 ? Anchor((await _store.GetChangeAtAsync(sequence, ct).ConfigureAwait(false)).Change) : "";
                foreach (var list in _state.Lists)
                {
                    captures.Add((HashListSnapshotFile.Capture(list), list.Name, GenerationOf(list)));
                }

                Interlocked.Exchange(ref _changesSinceSnapshot, 0);
            }
            finally
            {
                _writes.Release();
            }

            Directory.CreateDirectory(_snapshots.Directory);
            long entries = 0;
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var (capture, name, generation) in captures)
            {
                var path = SnapshotPath(_snapshots.Directory, name);
                await Task.Run(() => HashListSnapshotFile.Write(path, capture, new HashListSnapshotInfo(generation, sequence, anchor)), ct).ConfigureAwait(false);
                entries += capture.Count;
                names.Add(name);
            }

            foreach (var file in Directory.EnumerateFiles(_snapshots.Directory, "*" + SnapshotExtension))
            {
                if (!names.Contains(Path.GetFileNameWithoutExtension(file)))
                {
                    File.Delete(file);
                }
            }

            Interlocked.Exchange(ref _writtenSequence, sequence);
            var seconds = _time.GetElapsedTime(started).TotalSeconds;
            LogSnapshotsWritten(_logger, captures.Count, entries, sequence, seconds);
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    /// <summary>Counts entry changes; enough of them start a snapshot refresh in the background (one at a time).</summary>
    private void NoteChanges(int count)
    {
        if (_snapshots is null || Interlocked.Add(ref _changesSinceSnapshot, count) < _snapshots.RefreshAfterChanges ||
            Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await WriteSnapshotsAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Shut down meanwhile: the shutdown writes them.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                LogSnapshotWriteFailed(_logger, ex);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    /// <summary>
    /// The lists from their snapshots where valid, the others from the store; the sequence to catch up from (the
    /// oldest any list is at) and, per list, the sequence it already covers.
    /// </summary>
    private static async Task<(List<HashList> Lists, long Start, Dictionary<string, long> Covered)> LoadWithSnapshotsAsync(
        IListStore store, string? detailDirectory, ListSnapshotOptions snapshots, ConditionalWeakTable<HashList, StrongBox<long>> generations, ILogger logger, CancellationToken ct)
    {
        Directory.CreateDirectory(snapshots.Directory);

        // The log's end first: a list created after it is replayed from the log, one before it is in GetListsAsync.
        var (_, last) = await store.GetChangeAtAsync(0, ct).ConfigureAwait(false);
        var loaded = new Dictionary<string, HashListSnapshot>(StringComparer.Ordinal);
        var rebuild = false;
        foreach (var stored in await store.GetListsAsync(ct).ConfigureAwait(false))
        {
            var path = SnapshotPath(snapshots.Directory, stored.Name);
            if (!File.Exists(path))
            {
                LogNoSnapshot(logger, stored.Name);
                rebuild = true;
                continue;
            }

            var (snapshot, reason) = await TryLoadSnapshotAsync(store, path, stored, last, detailDirectory, ct).ConfigureAwait(false);
            if (snapshot is null)
            {
                LogSnapshotRejected(logger, stored.Name, reason!);
                rebuild = true;
                continue;
            }

            ApplySettings(snapshot.List, stored, generations);
            loaded[stored.Name] = snapshot;
            LogSnapshotLoaded(logger, stored.Name, snapshot.List.Count, snapshot.Info.Sequence);
        }

        var lists = new List<HashList>();
        var covered = new Dictionary<string, long>(StringComparer.Ordinal);
        if (!rebuild)
        {
            foreach (var (name, snapshot) in loaded)
            {
                lists.Add(snapshot.List);
                covered[name] = snapshot.Info.Sequence;
            }

            return (lists, covered.Count == 0 ? last : covered.Values.Min(), covered);
        }

        // The store's lists as of one read; the valid snapshots are kept (their entries read past), the rest built.
        var rebuilt = new List<string>();
        var sequence = await store.StreamSnapshotAsync(
                stored =>
                {
                    if (loaded.TryGetValue(stored.Name, out var snapshot) && snapshot.Info.Generation == Generation(stored))
                    {
                        lists.Add(snapshot.List);
                        covered[stored.Name] = snapshot.Info.Sequence;
                        return static _ => { };
                    }

                    var list = ToHashList(stored, detailDirectory, generations);
                    lists.Add(list);
                    rebuilt.Add(stored.Name);
                    return entry => list.Add(entry);
                },
                ct)
            .ConfigureAwait(false);
        foreach (var name in rebuilt)
        {
            covered[name] = sequence;
        }

        return (lists, Math.Min(sequence, covered.Count == 0 ? sequence : covered.Values.Min()), covered);
    }

    /// <summary>A snapshot that may be trusted for <paramref name="stored"/>, or why not.</summary>
    private static async Task<(HashListSnapshot? Snapshot, string? Reason)> TryLoadSnapshotAsync(
        IListStore store, string path, StoredList stored, long lastSequence, string? detailDirectory, CancellationToken ct)
    {
        HashListSnapshot snapshot;
        try
        {
            snapshot = HashListSnapshotFile.Read(path, detailDirectory);
        }
        catch (InvalidDataException ex)
        {
            return (null, ex.Message);
        }
        catch (IOException ex)
        {
            return (null, $"cannot read '{path}': {ex.Message}");
        }

        var info = snapshot.Info;
        if (!string.Equals(snapshot.List.Name, stored.Name, StringComparison.Ordinal))
        {
            return (null, $"'{path}' holds list '{snapshot.List.Name}' (another list's snapshot)");
        }

        if (info.Generation != Generation(stored) || snapshot.List.Kind != stored.Kind)
        {
            return (null, $"'{path}' is of another list named '{stored.Name}' (created at {info.Generation} ms, this one at {Generation(stored)} ms; another list's snapshot)");
        }

        if (info.Sequence > lastSequence)
        {
            return (null, $"'{path}' covers change-log sequence {info.Sequence} but the database's log ends at {lastSequence} (a snapshot of another database, or of this one before it was restored)");
        }

        if (info.Sequence > 0)
        {
            var (change, _) = await store.GetChangeAtAsync(info.Sequence, ct).ConfigureAwait(false);
            var anchor = Anchor(change);
            if (!string.Equals(anchor, info.Anchor, StringComparison.Ordinal))
            {
                return (null, change is null
                    ? $"'{path}' covers change-log sequence {info.Sequence}, which the database's log does not hold (stale, or another database)"
                    : $"'{path}' was written after change {info.Sequence} '{info.Anchor}' but the database's change {info.Sequence} is '{anchor}' (a snapshot of another database)");
            }
        }

        return (snapshot, null);
    }

    /// <summary>
    /// What loading parsed, copied and sorted (entry objects, index build buffers) is garbage once the lists are built;
    /// a compacting collection returns it to the system at once, so a node's resident memory is its lists, not the
    /// high-water mark of the load. Once per load, before the node serves anything.
    /// </summary>
    private static void ReleaseLoadGarbage() =>
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

    private long GenerationOf(HashList list) => _generations.TryGetValue(list, out var box) ? box.Value : 0;

    /// <summary>A list's generation: its creation time to the millisecond (what every store keeps exactly).</summary>
    private static long Generation(StoredList stored) => stored.CreatedAt.ToUnixTimeMilliseconds();

    /// <summary>What a snapshot records of the change it covers up to, to recognise the same log when loading.</summary>
    private static string Anchor(ListChange? change) =>
        change is null ? "" : FormattableString.Invariant($"{change.Kind} {change.ListName} {change.FirstEntryId}-{change.LastEntryId}");

    // List names are letters, digits, '.', '_' and '-' starting with a letter or digit: safe as file names.
    private static string SnapshotPath(string directory, string listName) => Path.Combine(directory, listName + SnapshotExtension);

    [LoggerMessage(Level = LogLevel.Warning, Message = "List '{List}' holds robust entries made by model {ListModel}, not by the model in use ({Model}): they are skipped; build the list again with this model to match them")]
    private static partial void LogRobustModelMismatch(ILogger logger, string list, string listModel, string model);

    [LoggerMessage(Level = LogLevel.Information, Message = "List '{List}': {Entries} entries loaded from its snapshot (change-log sequence {Sequence}); the log after it is applied")]
    private static partial void LogSnapshotLoaded(ILogger logger, string list, int entries, long sequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Lists ready: {Entries} entries; read (store or snapshots) {ReadSeconds:F2} s ({ReadCpuSeconds:F2} CPU s), matcher built {BuildSeconds:F2} s ({BuildCpuSeconds:F2} CPU s), change log applied {CatchUpSeconds:F2} s, garbage released {CollectSeconds:F2} s")]
    private static partial void LogStartTimings(ILogger logger, long entries, double readSeconds, double readCpuSeconds, double buildSeconds, double buildCpuSeconds, double catchUpSeconds, double collectSeconds);

    /// <summary>Where start-up time went (timestamps from <paramref name="time"/>; the last phase ends now).</summary>
    /// <remarks>The CPU seconds (the process's, all threads) are what to compare on a machine shared with other work.</remarks>
    private static void LogStart(ILogger logger, TimeProvider time, IEnumerable<HashList> lists, long started, long read, long built, long caughtUp, StartCpu cpu)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        long entries = 0;
        foreach (var list in lists)
        {
            entries += list.Count;
        }

        var reading = time.GetElapsedTime(started, read).TotalSeconds;
        var building = time.GetElapsedTime(read, built).TotalSeconds;
        var catchingUp = time.GetElapsedTime(built, caughtUp).TotalSeconds;
        var collecting = time.GetElapsedTime(caughtUp).TotalSeconds;
        LogStartTimings(logger, entries, reading, (cpu.Read - cpu.Started).TotalSeconds, building, (cpu.Built - cpu.Read).TotalSeconds, catchingUp, collecting);
    }

    /// <summary>The process's CPU time at the start-up phase boundaries.</summary>
    private struct StartCpu
    {
        public TimeSpan Started;
        public TimeSpan Read;
        public TimeSpan Built;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "List '{List}': no snapshot yet; loading it from the database")]
    private static partial void LogNoSnapshot(ILogger logger, string list);

    [LoggerMessage(Level = LogLevel.Warning, Message = "List '{List}': snapshot not used, loading the list from the database instead: {Reason}")]
    private static partial void LogSnapshotRejected(ILogger logger, string list, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote snapshots of {Lists} list(s), {Entries} entries, covering change-log sequence {Sequence} in {Seconds:F1} s")]
    private static partial void LogSnapshotsWritten(ILogger logger, int lists, long entries, long sequence, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the list snapshots; the next refresh or shutdown tries again")]
    private static partial void LogSnapshotWriteFailed(ILogger logger, Exception exception);

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
            // After a start from snapshots: what a list's snapshot already holds is not applied again.
            if (_covered is not null && _covered.TryGetValue(change.ListName, out var covered) && change.Sequence <= covered)
            {
                continue;
            }

            switch (change.Kind)
            {
                case ListChangeKind.ListCreated:
                    if (TakeOwn(_ownCreates, change.ListName))
                    {
                        break;
                    }

                    // Null: deleted again since; its deletion follows in the log. The same list already here (from a
                    // snapshot written after its creation was applied in memory) stays as it is.
                    if (change.List is { } stored &&
                        !(lists.TryGetValue(change.ListName, out var existing) && GenerationOf(existing) == Generation(stored)))
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
                    // This node's own import: its entries went live from the stage (and were read without them).
                    if (IsOwnImportChange(change))
                    {
                        break;
                    }

                    if (lists.TryGetValue(change.ListName, out var list))
                    {
                        ApplyEntries(list, change);
                        NoteChanges(Math.Max(1, change.LastEntryId - change.FirstEntryId + 1));
                    }

                    break;
                default:
                    throw new InvalidDataException($"Unknown list change kind {change.Kind}.");
            }
        }

        if (listsChanged)
        {
            SwapState([.. lists.Values]);
            _robust?.Rebuild(_state.Lists);
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
                        RobustEnabled(list, id, entry.Enabled);
                    }
                }
                else
                {
                    (added ??= []).Add(entry);
                }
            }
            else
            {
                var robust = IsRobust(list, id);
                if (list.Remove(id))
                {
                    _videos.Remove(list.Name, id);
                    if (robust)
                    {
                        RobustStale();
                    }
                }
            }
        }

        if (added is not null)
        {
            foreach (var entry in list.AddRange(added))
            {
                _videos.Add(list, entry);
                _robust?.Add(list, entry);
            }
        }
    }

    /// <summary>Whether a robust result's entry is still present and enabled in a list held now.</summary>
    private bool IsCurrent(string listName, int entryId) =>
        FindList(listName) is { } list && list.TryGetEnabled(entryId, out var enabled) && enabled;

    /// <summary>An entry enabled again joins the robust matcher (duplicates are dropped at match time); one disabled is stale.</summary>
    private void RobustEnabled(HashList list, int entryId, bool enabled)
    {
        if (_robust is not { } robust || !list.TryGet(entryId, out var entry) || entry.SignalType != SignalTypes.Robust)
        {
            return;
        }

        if (!enabled)
        {
            RobustStale();
        }
        else
        {
            robust.Add(list, entry with { Enabled = true });
        }
    }

    private bool IsRobust(HashList list, int entryId) =>
        _robust is not null && list.TryGet(entryId, out var entry) && entry.SignalType == SignalTypes.Robust;

    /// <summary>An entry left the robust matcher's view; rebuilt once many have (under _writes).</summary>
    private void RobustStale()
    {
        if (_robust is { } robust && robust.MarkStale())
        {
            robust.Rebuild(_state.Lists);
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

    private static async Task<(List<HashList> Lists, long Sequence)> LoadListsAsync(
        IListStore store, string? detailDirectory, ConditionalWeakTable<HashList, StrongBox<long>> generations, CancellationToken ct)
    {
        var result = new List<HashList>();
        var sequence = await store.StreamSnapshotAsync(
                stored =>
                {
                    var list = ToHashList(stored, detailDirectory, generations);
                    result.Add(list);
                    return entry => list.Add(entry);
                },
                ct)
            .ConfigureAwait(false);
        return (result, sequence);
    }

    private HashList ToHashList(StoredList stored) => ToHashList(stored, _detailDirectory, _generations);

    private static HashList ToHashList(StoredList stored, string? detailDirectory, ConditionalWeakTable<HashList, StrongBox<long>> generations)
    {
        var list = new HashList(stored.Name, stored.Kind, detailDirectory);
        ApplySettings(list, stored, generations);
        return list;
    }

    /// <summary>The stored settings win over a snapshot's; the list is remembered with its generation.</summary>
    private static void ApplySettings(HashList list, StoredList stored, ConditionalWeakTable<HashList, StrongBox<long>> generations)
    {
        generations.AddOrUpdate(list, new StrongBox<long>(Generation(stored)));
        if (stored.PdqThreshold is { } pdq)
        {
            list.SetThreshold(SignalTypes.Pdq, pdq);
        }

        if (stored.PhotoDnaThreshold is { } photoDna)
        {
            list.SetThreshold(SignalTypes.PhotoDna, photoDna);
        }
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
