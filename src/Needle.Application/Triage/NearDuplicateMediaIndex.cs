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
/// their link cluster all the others, so a viral image's thousandth copy costs a search no more than its tenth. Thread-safe.
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

    // Entry id in the index = position in this list; only appended, under _catchUp.
    private readonly List<(Guid FileId, Guid ReportId)> _files = [];
    private readonly HashSet<Guid> _indexed = [];
    private readonly Dictionary<PdqHash, int> _identical = [];
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
                    if (row.Quality < _options.MinimumPdqQuality || _indexed.Contains(row.FileId) || !PdqHash.TryParse(row.Pdq, out var hash))
                    {
                        continue;
                    }

                    var copies = _identical.GetValueOrDefault(hash);
                    if (copies >= MaxIdenticalIndexed)
                    {
                        continue;
                    }

                    _identical[hash] = copies + 1;
                    _index.Add(_files.Count, hash);
                    _files.Add((row.FileId, row.ReportId));
                    _indexed.Add(row.FileId);
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
        var result = new List<NearDuplicate>(hits.Count);
        await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var hit in hits)
            {
                var (fileId, reportId) = _files[hit.EntryId];
                if (reportId != excludingReportId)
                {
                    result.Add(new NearDuplicate(fileId, reportId, hit.Distance));
                }
            }
        }
        finally
        {
            _catchUp.Release();
        }

        result.Sort(static (a, b) => a.Distance != b.Distance ? a.Distance.CompareTo(b.Distance) : a.FileId.CompareTo(b.FileId));
        return result;
    }

    /// <summary>Releases the lock that serialises catch-ups.</summary>
    public void Dispose() => _catchUp.Dispose();
}
