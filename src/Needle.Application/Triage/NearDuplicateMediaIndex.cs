using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Needle.Application.Lists;
using Needle.Core.Storage;
using Needle.Hashing;
using Needle.Matching.Index;

namespace Needle.Application.Triage;

/// <summary>
/// The PDQ hashes of every processed file, in memory, to find near-duplicate images across reports (a resized or
/// recompressed copy). It follows <see cref="ITriageStore.ReadMediaHashesAsync"/>: each search first reads what was
/// stored since the last one (starting <see cref="ScoringOptions.MediaRereadSequences"/> back, for a backend that may
/// commit out of sequence order); files already held are skipped. Files below
/// <see cref="ScoringOptions.MinimumPdqQuality"/> are not indexed (flat images are near everything). Of files with the
/// very same PDQ hash only the first <see cref="MaxIdenticalIndexed"/> are indexed: a new copy finds those, and through
/// their link cluster all the others, so a viral image's thousandth copy costs a search no more than its tenth. In
/// memory, a held file is its PDQ (in the multi-index) and its media sequence only; the file and report ids of a
/// search's hits are read from the store (<see cref="ITriageStore.ReadMediaFilesAsync"/>). Thread-safe.
/// <para>
/// With <see cref="ListSnapshotOptions"/> the index keeps a snapshot (<see cref="SnapshotFileName"/> in the node's
/// snapshot folder: its columns, checksummed, written atomically, with the media sequence it covers and the id of the
/// file stored there): the first catch-up loads it and reads only the files stored after it. A damaged, foreign or stale
/// snapshot, or one built with other settings, is refused with the reason logged, and the index is read from the store.
/// The snapshot is written again after <see cref="ListSnapshotOptions.RefreshAfterChanges"/> newly held files (in the
/// background) and by <see cref="WriteSnapshotAsync"/> (a clean shutdown).
/// </para>
/// </summary>
public sealed partial class NearDuplicateMediaIndex : IDisposable
{
    /// <summary>Files indexed per identical PDQ hash; the rest are linked through these.</summary>
    public const int MaxIdenticalIndexed = 8;

    /// <summary>The snapshot's file name in <see cref="ListSnapshotOptions.Directory"/>.</summary>
    public const string SnapshotFileName = "media-index.ndms";

    private const int ReadBatch = 5000;

    private readonly ITriageStore _store;
    private readonly ScoringOptions _options;
    private readonly ListSnapshotOptions? _snapshots;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private readonly SemaphoreSlim _snapshotGate = new(1, 1);

    // Replaced only once, by the snapshot load inside the first catch-up (before any search reads it).
    private MultiIndexHammingIndex _index = new();

    // Compact columns only: entry id in the index = position in this list, holding the file's media sequence (its ids
    // are read from the store for hits only); only appended, under _catchUp. Sequences held are remembered only where
    // the store's rows may be read twice (a re-read window); else rows come once, in sequence order.
    private List<long> _sequences = [];
    private readonly HashSet<long>? _held;
    private readonly List<HammingHit> _identicalHits = [];
    private long _highestSequence;
    private Guid _highestFileId;
    private bool _started;
    private int _heldSinceSnapshot;
    private int _refreshing;

    /// <summary>An empty index following <paramref name="store"/>; it fills on the first search or catch-up.</summary>
    /// <param name="store">Where the PDQ hashes of processed files are read from.</param>
    /// <param name="options">The near-duplicate distance, the minimum quality and the sequences to read again (validated here).</param>
    public NearDuplicateMediaIndex(ITriageStore store, ScoringOptions options)
        : this(store, options, null, null)
    {
    }

    /// <summary>An empty index following <paramref name="store"/> that starts from its snapshot in <paramref name="snapshots"/>' folder when valid.</summary>
    /// <param name="store">Where the PDQ hashes of processed files are read from.</param>
    /// <param name="options">The near-duplicate distance, the minimum quality and the sequences to read again (validated here).</param>
    /// <param name="snapshots">The node's snapshot folder and refresh interval; null keeps no snapshot.</param>
    /// <param name="logger">Where snapshot loads, refusals and writes are logged.</param>
    public NearDuplicateMediaIndex(ITriageStore store, ScoringOptions options, ListSnapshotOptions? snapshots, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Validated();
        _held = _options.MediaRereadSequences > 0 ? [] : null;
        _snapshots = snapshots;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>How many files are indexed.</summary>
    public int Count => Volatile.Read(ref _index).Count;

    /// <summary>Reads the hashes stored since the last catch-up into the index (the first one starts from the snapshot).</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken = default)
    {
        var added = 0;
        await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_started)
            {
                if (_snapshots is not null)
                {
                    await LoadSnapshotAsync(_snapshots, cancellationToken).ConfigureAwait(false);
                }

                _started = true;
            }

            var index = _index;
            var after = Math.Max(0, _highestSequence - _options.MediaRereadSequences);
            while (true)
            {
                var rows = await _store.ReadMediaHashesAsync(after, ReadBatch, cancellationToken).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    after = Math.Max(after, row.Sequence);
                    if (row.Sequence >= _highestSequence)
                    {
                        _highestSequence = row.Sequence;
                        _highestFileId = row.FileId;
                    }

                    if (row.Quality < _options.MinimumPdqQuality || (_held?.Contains(row.Sequence) ?? false) || !PdqHash.TryParse(row.Pdq, out var hash))
                    {
                        continue;
                    }

                    // The copies of this very hash already held, counted by the index itself (no table keyed by hash).
                    _identicalHits.Clear();
                    index.RangeSearch(hash, 0, _identicalHits);
                    if (_identicalHits.Count >= MaxIdenticalIndexed)
                    {
                        continue;
                    }

                    index.Add(_sequences.Count, hash);
                    _sequences.Add(row.Sequence);
                    _held?.Add(row.Sequence);
                    added++;
                }

                if (rows.Count < ReadBatch)
                {
                    break;
                }
            }
        }
        finally
        {
            _catchUp.Release();
        }

        NoteHeld(added);
    }

    /// <summary>
    /// Files of other reports within <paramref name="maxDistance"/> (default <see cref="ScoringOptions.NearDuplicateDistance"/>)
    /// of <paramref name="pdq"/>, nearest first (ties by file id), after catching up with the store.
    /// </summary>
    public async Task<IReadOnlyList<NearDuplicate>> FindAsync(PdqHash pdq, Guid excludingReportId, int? maxDistance = null, CancellationToken cancellationToken = default)
    {
        await CatchUpAsync(cancellationToken).ConfigureAwait(false);
        var hits = new List<HammingHit>();
        Volatile.Read(ref _index).RangeSearch(pdq, maxDistance ?? _options.NearDuplicateDistance, hits);
        if (hits.Count == 0)
        {
            return [];
        }

        var sequences = new long[hits.Count];
        var distances = new Dictionary<long, int>(hits.Count);
        await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var i = 0; i < hits.Count; i++)
            {
                sequences[i] = _sequences[hits[i].EntryId];
                distances[sequences[i]] = hits[i].Distance;
            }
        }
        finally
        {
            _catchUp.Release();
        }

        // The hits' details (file and report ids) are on disk, read in one round trip.
        var rows = await _store.ReadMediaFilesAsync(sequences, cancellationToken).ConfigureAwait(false);
        var result = new List<NearDuplicate>(rows.Count);
        foreach (var row in rows)
        {
            if (row.ReportId != excludingReportId)
            {
                result.Add(new NearDuplicate(row.FileId, row.ReportId, distances[row.Sequence]));
            }
        }

        result.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.FileId.CompareTo(b.FileId));
        return result;
    }

    /// <summary>
    /// Catches up, then writes the snapshot covering what was read (what a clean shutdown does). Catch-ups wait only
    /// while the columns are copied, not while the file is written. Does nothing without <see cref="ListSnapshotOptions"/>.
    /// </summary>
    public async Task WriteSnapshotAsync(CancellationToken cancellationToken = default)
    {
        if (_snapshots is null)
        {
            return;
        }

        await _snapshotGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await CatchUpAsync(cancellationToken).ConfigureAwait(false);
            MediaIndexSnapshot snapshot;
            await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                snapshot = Capture();
                Interlocked.Exchange(ref _heldSinceSnapshot, 0);
            }
            finally
            {
                _catchUp.Release();
            }

            var path = Path.Combine(_snapshots.Directory, SnapshotFileName);
            await Task.Run(() => MediaIndexSnapshotFile.Write(path, snapshot), cancellationToken).ConfigureAwait(false);
            LogSnapshotWritten(_logger, snapshot.Sequences.Length, snapshot.HighestSequence);
        }
        finally
        {
            _snapshotGate.Release();
        }
    }

    /// <summary>Releases the locks that serialise catch-ups and snapshot writes.</summary>
    public void Dispose()
    {
        _catchUp.Dispose();
        _snapshotGate.Dispose();
    }

    /// <summary>The columns in entry order (under <see cref="_catchUp"/>).</summary>
    private MediaIndexSnapshot Capture()
    {
        var data = _index.ExportData();
        var words = new ulong[(long)data.Count * PdqHash.WordCount];
        for (var i = 0; i < data.Count; i++)
        {
            // Entry ids are positions 0..n-1; the export is ordered by id only within its merged part.
            data.HashWords.AsSpan(i * PdqHash.WordCount, PdqHash.WordCount).CopyTo(words.AsSpan(data.Ids[i] * PdqHash.WordCount));
        }

        return new MediaIndexSnapshot(words, [.. _sequences], _highestSequence, _highestFileId, _options.MinimumPdqQuality, MaxIdenticalIndexed);
    }

    /// <summary>Starts from the snapshot when it may be trusted (under <see cref="_catchUp"/>, before anything is held).</summary>
    private async Task LoadSnapshotAsync(ListSnapshotOptions snapshots, CancellationToken cancellationToken)
    {
        var path = Path.Combine(snapshots.Directory, SnapshotFileName);
        if (!File.Exists(path))
        {
            LogNoSnapshot(_logger);
            return;
        }

        var (snapshot, reason) = await TryReadSnapshotAsync(path, cancellationToken).ConfigureAwait(false);
        if (snapshot is null)
        {
            LogSnapshotRejected(_logger, reason!);
            return;
        }

        var n = snapshot.Sequences.Length;
        var ids = new int[n];
        for (var i = 0; i < n; i++)
        {
            ids[i] = i;
        }

        var enabled = new ulong[(n + 63) >> 6];
        enabled.AsSpan().Fill(ulong.MaxValue);
        if ((n & 63) != 0)
        {
            enabled[^1] = (1UL << (n & 63)) - 1;
        }

        var index = MultiIndexHammingIndex.BuildFrom(new PdqIndexData(ids, snapshot.HashWords, enabled));
        _sequences = new List<long>(n + (n >> 3) + 16);
        _sequences.AddRange(snapshot.Sequences);
        if (_held is not null)
        {
            foreach (var sequence in snapshot.Sequences)
            {
                _held.Add(sequence);
            }
        }

        _highestSequence = snapshot.HighestSequence;
        _highestFileId = snapshot.Anchor;
        Volatile.Write(ref _index, index);
        LogSnapshotLoaded(_logger, n, snapshot.HighestSequence);
    }

    /// <summary>The snapshot at <paramref name="path"/> if it may be trusted for this store and these settings, or why not.</summary>
    private async Task<(MediaIndexSnapshot? Snapshot, string? Reason)> TryReadSnapshotAsync(string path, CancellationToken cancellationToken)
    {
        MediaIndexSnapshot snapshot;
        try
        {
            snapshot = await Task.Run(() => MediaIndexSnapshotFile.Read(path), cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidDataException ex)
        {
            return (null, ex.Message);
        }
        catch (IOException ex)
        {
            return (null, $"cannot read '{path}': {ex.Message}");
        }

        if (snapshot.MinimumQuality != _options.MinimumPdqQuality || snapshot.MaxIdentical != MaxIdenticalIndexed)
        {
            return (null, $"'{path}' was built with minimum PDQ quality {snapshot.MinimumQuality} and {snapshot.MaxIdentical} files per identical hash; this node uses {_options.MinimumPdqQuality} and {MaxIdenticalIndexed} (settings changed)");
        }

        if (snapshot.HighestSequence <= 0)
        {
            return (snapshot, null);
        }

        var rows = await _store.ReadMediaFilesAsync([snapshot.HighestSequence], cancellationToken).ConfigureAwait(false);
        if (rows.Count == 0)
        {
            return (null, $"'{path}' covers media sequence {snapshot.HighestSequence}, which the database does not hold (stale: the database is behind it or was restored; or another database)");
        }

        if (rows[0].FileId != snapshot.Anchor)
        {
            return (null, $"'{path}' was written after file {snapshot.Anchor} at media sequence {snapshot.HighestSequence} but the database holds file {rows[0].FileId} there (a snapshot of another database)");
        }

        return (snapshot, null);
    }

    /// <summary>Counts newly held files; enough of them start a snapshot refresh in the background (one at a time).</summary>
    private void NoteHeld(int count)
    {
        if (_snapshots is null || count == 0 || Interlocked.Add(ref _heldSinceSnapshot, count) < _snapshots.RefreshAfterChanges ||
            Interlocked.CompareExchange(ref _refreshing, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await WriteSnapshotAsync().ConfigureAwait(false);
            }
            catch (ObjectDisposedException)
            {
                // Shut down meanwhile.
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogSnapshotWriteFailed(_logger, ex);
            }
            finally
            {
                Volatile.Write(ref _refreshing, 0);
            }
        });
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Near-duplicate media index: {Files} files loaded from its snapshot (media sequence {Sequence}); the files stored after it are read from the database")]
    private static partial void LogSnapshotLoaded(ILogger logger, int files, long sequence);

    [LoggerMessage(Level = LogLevel.Information, Message = "Near-duplicate media index: no snapshot yet; reading every processed file from the database")]
    private static partial void LogNoSnapshot(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Near-duplicate media index: snapshot not used, reading every processed file from the database instead: {Reason}")]
    private static partial void LogSnapshotRejected(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Near-duplicate media index: wrote its snapshot of {Files} files, covering media sequence {Sequence}")]
    private static partial void LogSnapshotWritten(ILogger logger, int files, long sequence);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Near-duplicate media index: could not write its snapshot; the next refresh or shutdown tries again")]
    private static partial void LogSnapshotWriteFailed(ILogger logger, Exception exception);
}
