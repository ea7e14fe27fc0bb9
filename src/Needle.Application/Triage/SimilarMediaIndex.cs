using Needle.Core.Storage;
using Needle.Matching.Lists;
using Needle.Robust;

namespace Needle.Application.Triage;

/// <summary>
/// The global descriptors of every processed image, in memory as one compact column (a <see cref="DescriptorIndex"/>:
/// one flat float array, scanned with SIMD, no allocation per file), with the file and report of each row in two
/// parallel arrays. It follows <see cref="IRobustStore.ReadDescriptorsAsync"/>: each search first reads what was stored
/// since the last one (starting <see cref="RereadSequences"/> back, for rows committed out of sequence order); files
/// already held are skipped. It ranks the files of other reports by similarity (same scene, not only copies) and
/// shortlists the candidates the robust triage links verify. Thread-safe.
/// </summary>
public sealed class SimilarMediaIndex : IDisposable
{
    /// <summary>
    /// Sequences read again at each catch-up, for rows of concurrent writers that committed late (each row is a
    /// one-row transaction of its own, so the gap is a few rows per worker at most).
    /// </summary>
    public const int RereadSequences = 64;

    private const int ReadBatch = 5000;

    private readonly IRobustStore _store;
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly DescriptorIndex _index;
    private readonly HashSet<Guid> _held = [];
    private Guid[] _files = new Guid[1024];
    private Guid[] _reports = new Guid[1024];
    private long _highestSequence;

    /// <summary>An empty column of <paramref name="dimension"/>-long descriptors following <paramref name="store"/>; it fills on the first search.</summary>
    /// <param name="store">Where the descriptors of processed images are read.</param>
    /// <param name="dimension">The model's descriptor length; rows of another length (an earlier model) are skipped.</param>
    /// <param name="options">How candidates are verified geometrically.</param>
    public SimilarMediaIndex(IRobustStore store, int dimension, RobustMatcherOptions options)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _index = new DescriptorIndex(dimension);
        Options = options;
    }

    /// <summary>Files held.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _index.Count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Length of every descriptor.</summary>
    public int Dimension => _index.Dimension;

    /// <summary>How the robust triage links verify candidates.</summary>
    public RobustMatcherOptions Options { get; }

    /// <summary>The store the descriptors and features are read from.</summary>
    public IRobustStore Store => _store;

    /// <summary>Reads the descriptors stored since the last catch-up into the column.</summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken = default)
    {
        await _catchUp.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var after = Math.Max(0, _highestSequence - RereadSequences);
            var values = new float[_index.Dimension];
            while (true)
            {
                var rows = await _store.ReadDescriptorsAsync(after, ReadBatch, cancellationToken).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    after = Math.Max(after, row.Sequence);
                    _highestSequence = Math.Max(_highestSequence, row.Sequence);
                    if (_held.Contains(row.FileId) || !HalfDescriptor.TryDecode(row.Descriptor, values))
                    {
                        continue;
                    }

                    _lock.EnterWriteLock();
                    try
                    {
                        var at = _index.Add(values);
                        if (at >= _files.Length)
                        {
                            Array.Resize(ref _files, _files.Length * 2);
                            Array.Resize(ref _reports, _reports.Length * 2);
                        }

                        _files[at] = row.FileId;
                        _reports[at] = row.ReportId;
                    }
                    finally
                    {
                        _lock.ExitWriteLock();
                    }

                    _held.Add(row.FileId);
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
    /// The files of reports not in <paramref name="excludedReports"/> most similar to <paramref name="descriptor"/>,
    /// best first, at most <paramref name="limit"/>, with at least <paramref name="minSimilarity"/>; after catching up.
    /// </summary>
    public async Task<IReadOnlyList<SimilarFile>> FindAsync(
        float[] descriptor, IReadOnlyCollection<Guid> excludedReports, int limit, double minSimilarity = -1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(excludedReports);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        if (descriptor.Length != _index.Dimension)
        {
            return [];
        }

        await CatchUpAsync(cancellationToken).ConfigureAwait(false);

        // The excluded reports' own files come up first (the file itself, its copies): ask for enough to skip them,
        // and more when they were not enough.
        var wanted = limit + 64;
        while (true)
        {
            var rows = new int[wanted];
            var similarities = new float[wanted];
            var result = new List<SimilarFile>(limit);
            int found;
            _lock.EnterReadLock();
            try
            {
                found = _index.Search(descriptor, wanted, rows, similarities);
                for (var i = 0; i < found && result.Count < limit; i++)
                {
                    if (similarities[i] < minSimilarity)
                    {
                        break;
                    }

                    if (!excludedReports.Contains(_reports[rows[i]]))
                    {
                        result.Add(new SimilarFile(_files[rows[i]], _reports[rows[i]], Math.Round(similarities[i], 4)));
                    }
                }
            }
            finally
            {
                _lock.ExitReadLock();
            }

            if (result.Count >= limit || found < wanted || (found > 0 && similarities[found - 1] < minSimilarity))
            {
                return result;
            }

            wanted *= 4;
        }
    }

    /// <summary>The file's robust entry as stored, decoded; null when none was stored or it cannot be read.</summary>
    public async Task<RobustFeatures?> GetFeaturesAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        await _store.GetFeaturesAsync(fileId, cancellationToken).ConfigureAwait(false) is { } text && RobustFeatures.TryDecode(text, out var features, out _)
            ? features
            : null;

    /// <summary>Releases the locks.</summary>
    public void Dispose()
    {
        _catchUp.Dispose();
        _lock.Dispose();
    }
}
