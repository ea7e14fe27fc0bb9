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
/// </summary>
public sealed class NearDuplicateMediaIndex : IDisposable
{
    /// <summary>Files indexed per identical PDQ hash; the rest are linked through these.</summary>
    public const int MaxIdenticalIndexed = 8;

    private const int ReadBatch = 5000;

    private readonly ITriageStore _store;
    private readonly ScoringOptions _options;
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private readonly MultiIndexHammingIndex _index = new MultiIndexHammingIndex();

    // Compact columns only: entry id in the index = position in this list, holding the file's media sequence (its ids
    // are read from the store for hits only); only appended, under _catchUp. Sequences held are remembered only where
    // the store's rows may be read twice (a re-read window); else rows come once, in sequence order.
    private readonly List<long> _sequences = [];
    private readonly HashSet<long>? _held;
    private readonly List<HammingHit> _identicalHits = [];
    private long _highestSequence;

    /// <summary>An empty index following <paramref name="store"/>; it fills on the first search or catch-up.</summary>
    /// <param name="store">Where the PDQ hashes of processed files are read from.</param>
    /// <param name="options">The near-duplicate distance, the minimum quality and the sequences to read again (validated here).</param>
    public NearDuplicateMediaIndex(ITriageStore store, ScoringOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options.Validated();
        _held = _options.MediaRereadSequences > 0 ? [] : null;
    }

    /// <summary>How many files are indexed.</summary>
    public int Count => _index.Count;

    /// <summary>Reads the hashes stored since the last catch-up into the index.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken = default)
    {
        await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var after = Math.Max(0, _highestSequence - _options.MediaRereadSequences);
            while (true)
            {
                var rows = await _store.ReadMediaHashesAsync(after, ReadBatch, cancellationToken).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    after = Math.Max(after, row.Sequence);
                    _highestSequence = Math.Max(_highestSequence, row.Sequence);
                    if (row.Quality < _options.MinimumPdqQuality || (_held?.Contains(row.Sequence) ?? false) || !PdqHash.TryParse(row.Pdq, out var hash))
                    {
                        continue;
                    }

                    // The copies of this very hash already held, counted by the index itself (no table keyed by hash).
                    _identicalHits.Clear();
                    _index.RangeSearch(hash, 0, _identicalHits);
                    if (_identicalHits.Count >= MaxIdenticalIndexed)
                    {
                        continue;
                    }

                    _index.Add(_sequences.Count, hash);
                    _sequences.Add(row.Sequence);
                    _held?.Add(row.Sequence);
                }

                if (rows.Count < ReadBatch)
                {
                    return;
                }
            }
        }
        finally
        {
            _catchUp.Release();
        }
    }

    /// <summary>
    /// Files of other reports within <paramref name="maxDistance"/> (default <see cref="ScoringOptions.NearDuplicateDistance"/>)
    /// of <paramref name="pdq"/>, nearest first (ties by file id), after catching up with the store.
    /// </summary>
    public async Task<IReadOnlyList<NearDuplicate>> FindAsync(PdqHash pdq, Guid excludingReportId, int? maxDistance = null, CancellationToken cancellationToken = default)
    {
        await CatchUpAsync(cancellationToken).ConfigureAwait(false);
        var hits = new List<HammingHit>();
        _index.RangeSearch(pdq, maxDistance ?? _options.NearDuplicateDistance, hits);
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

    /// <summary>Releases the lock that serialises catch-ups.</summary>
    public void Dispose() => _catchUp.Dispose();
}
