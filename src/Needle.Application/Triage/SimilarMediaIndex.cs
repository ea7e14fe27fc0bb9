using Needle.Core.Storage;
using Needle.Matching.Lists;
using Needle.Robust;

namespace Needle.Application.Triage;

/// <summary>
/// The global descriptors of every processed image, in memory as one compact column: each as int8 codes with one scale
/// (0.5 KiB per 512-value descriptor instead of 2 KiB of floats), scanned with <see cref="QuantizedDescriptorKernel"/>
/// for a wide shortlist that is re-ranked exactly by the stored half-precision descriptors (read for those few files
/// only), so results equal an exact scan; the file and report of each row are in two parallel arrays. It follows <see cref="IRobustStore.ReadDescriptorsAsync"/>: each search first reads what was stored
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

    // The int8 scan keeps max(MinimumCandidates, Widening x limit) rows for the exact re-ranking (as QuantizedDescriptorIndex).
    private const int Widening = 4;
    private const int MinimumCandidates = 32;

    // How far under minSimilarity an approximate score may be and still be re-ranked: far over the int8 rounding.
    private const float ApproximationMargin = 0.05f;

    private readonly IRobustStore _store;
    private readonly SemaphoreSlim _catchUp = new(1, 1);
    private readonly ReaderWriterLockSlim _lock = new();
    private readonly int _dimension;
    private readonly HashSet<Guid> _held = [];
    private sbyte[] _codes = [];
    private float[] _scales = [];
    private Guid[] _files = [];
    private Guid[] _reports = [];
    private int _count;
    private long _highestSequence;
    private readonly Lazy<string> _modelId;

    /// <summary>An empty column of <paramref name="dimension"/>-long descriptors following <paramref name="store"/>; it fills on the first search.</summary>
    /// <param name="store">Where the descriptors of processed images are read.</param>
    /// <param name="dimension">The model's descriptor length; rows of another length (an earlier model) are skipped.</param>
    /// <param name="options">How candidates are verified geometrically.</param>
    /// <param name="modelId">
    /// The identity of the model in use, asked on first need (null: the default model): only descriptors it made are
    /// held and only its features are read back, as descriptors of different models are not comparable.
    /// </param>
    public SimilarMediaIndex(IRobustStore store, int dimension, RobustMatcherOptions options, Func<string>? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(dimension, RobustFeatures.MaxDescriptorLength);
        _store = store;
        _dimension = dimension;
        Options = options;
        _modelId = new Lazy<string>(() => modelId?.Invoke() ?? RobustFeatures.DefaultModelId, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The identity of the model whose descriptors the column holds.</summary>
    public string ModelId => _modelId.Value;

    /// <summary>Files held.</summary>
    public int Count
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _count;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>Length of every descriptor.</summary>
    public int Dimension => _dimension;

    /// <summary>Bytes held in memory per file (codes, scale, file and report ids), not counting the set of files held.</summary>
    public int BytesPerFile => _dimension + sizeof(float) + (2 * 16);

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
            var values = new float[_dimension];
            while (true)
            {
                var rows = await _store.ReadDescriptorsAsync(after, ReadBatch, cancellationToken).ConfigureAwait(false);
                foreach (var row in rows)
                {
                    after = Math.Max(after, row.Sequence);
                    _highestSequence = Math.Max(_highestSequence, row.Sequence);
                    if (_held.Contains(row.FileId) || !string.Equals(row.Model ?? RobustFeatures.DefaultModelId, ModelId, StringComparison.Ordinal) ||
                        !HalfDescriptor.TryDecode(row.Descriptor, values))
                    {
                        continue;
                    }

                    _lock.EnterWriteLock();
                    try
                    {
                        if (_count == _files.Length)
                        {
                            var capacity = Math.Max(1024, _files.Length * 2);
                            Array.Resize(ref _codes, capacity * _dimension);
                            Array.Resize(ref _scales, capacity);
                            Array.Resize(ref _files, capacity);
                            Array.Resize(ref _reports, capacity);
                        }

                        _scales[_count] = QuantizedDescriptorKernel.Quantize(values, _codes.AsSpan(_count * _dimension, _dimension));
                        _files[_count] = row.FileId;
                        _reports[_count] = row.ReportId;
                        _count++;
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
        if (descriptor.Length != _dimension)
        {
            return [];
        }

        await CatchUpAsync(cancellationToken).ConfigureAwait(false);
        var shortlist = Shortlist(descriptor, excludedReports, Math.Max(MinimumCandidates, limit * Widening), (float)minSimilarity - ApproximationMargin);
        if (shortlist.Count == 0)
        {
            return [];
        }

        // Exact re-ranking over the stored descriptors of the shortlist (the values an exact scan would use); ties keep
        // the column's order, as the exact scan did.
        var ids = new Guid[shortlist.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = shortlist[i].File;
        }

        var stored = await _store.ReadDescriptorsOfAsync(ids, cancellationToken).ConfigureAwait(false);
        var byFile = new Dictionary<Guid, byte[]>(stored.Count);
        foreach (var row in stored)
        {
            byFile[row.FileId] = row.Descriptor;
        }

        var values = new float[_dimension];
        var ranked = new List<(int Row, float Similarity, Guid File, Guid Report)>(shortlist.Count);
        foreach (var (row, file, report) in shortlist)
        {
            if (byFile.TryGetValue(file, out var half) && HalfDescriptor.TryDecode(half, values))
            {
                var similarity = DescriptorKernel.Dot(values, descriptor);
                if (similarity >= minSimilarity)
                {
                    ranked.Add((row, similarity, file, report));
                }
            }
        }

        ranked.Sort((a, b) => a.Similarity != b.Similarity ? b.Similarity.CompareTo(a.Similarity) : a.Row.CompareTo(b.Row));
        var result = new List<SimilarFile>(Math.Min(limit, ranked.Count));
        for (var i = 0; i < ranked.Count && result.Count < limit; i++)
        {
            result.Add(new SimilarFile(ranked[i].File, ranked[i].Report, Math.Round(ranked[i].Similarity, 4)));
        }

        return result;
    }

    /// <summary>
    /// The int8 scan: the <paramref name="wanted"/> rows of reports not excluded with the highest approximate
    /// similarity (at least <paramref name="floor"/>), best first, ties in column order.
    /// </summary>
    private List<(int Row, Guid File, Guid Report)> Shortlist(float[] descriptor, IReadOnlyCollection<Guid> excludedReports, int wanted, float floor)
    {
        // The query as int16 (the kernel's other operand) with its own scale, so scores are similarities.
        var codes = new sbyte[_dimension];
        var queryScale = QuantizedDescriptorKernel.Quantize(descriptor, codes);
        var query = new short[_dimension];
        for (var i = 0; i < codes.Length; i++)
        {
            query[i] = codes[i];
        }

        var rows = new int[wanted];
        var scores = new float[wanted];
        var found = 0;
        _lock.EnterReadLock();
        try
        {
            var data = _codes.AsSpan(0, _count * _dimension);
            for (var r = 0; r < _count; r++)
            {
                var score = QuantizedDescriptorKernel.Dot(data.Slice(r * _dimension, _dimension), query) * _scales[r] * queryScale;
                if (score < floor || (found == wanted && score <= scores[found - 1]) || excludedReports.Contains(_reports[r]))
                {
                    continue;
                }

                // Insertion into the small sorted shortlist.
                var at = found < wanted ? found++ : found - 1;
                while (at > 0 && scores[at - 1] < score)
                {
                    scores[at] = scores[at - 1];
                    rows[at] = rows[at - 1];
                    at--;
                }

                scores[at] = score;
                rows[at] = r;
            }

            var shortlist = new List<(int Row, Guid File, Guid Report)>(found);
            for (var i = 0; i < found; i++)
            {
                shortlist.Add((rows[i], _files[rows[i]], _reports[rows[i]]));
            }

            return shortlist;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// The file's robust entry as stored, decoded; null when none was stored, it cannot be read, or another model made
    /// it (its descriptor is not comparable with this column's).
    /// </summary>
    public async Task<RobustFeatures?> GetFeaturesAsync(Guid fileId, CancellationToken cancellationToken = default) =>
        await _store.GetFeaturesAsync(fileId, cancellationToken).ConfigureAwait(false) is { } text && RobustFeatures.TryDecode(text, out var features, out _) &&
            string.Equals(features.ModelId, ModelId, StringComparison.Ordinal)
            ? features
            : null;

    /// <summary>Releases the locks.</summary>
    public void Dispose()
    {
        _catchUp.Dispose();
        _lock.Dispose();
    }
}
