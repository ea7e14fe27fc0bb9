using System.Security.Cryptography;
using System.Text;
using Needle.Hashing;
using Needle.Matching.Lists;

namespace Needle.Robust;

/// <summary>
/// The robust tier over the <c>robust</c> entries of some lists: a file's descriptor shortlists the most similar listed
/// pictures (a SIMD scan), and each is checked geometrically, with the file as it is and mirrored. Entries are read at
/// construction (and added with <see cref="Add"/>); searching is thread-safe, adding is not.
/// </summary>
public sealed class RobustMatcher
{
    /// <summary>The <see cref="ListMatch.Variant"/> of a robust match.</summary>
    public const string Variant = "robust";

    private readonly RobustFeatureExtractor _extractor;
    private readonly RobustMatcherOptions _options;
    // Held compactly: the descriptor only in the int8 + half index, the keypoints packed (HeldKeypoints); the decoded
    // entry is dropped.
    private readonly QuantizedDescriptorIndex _index;
    private readonly List<(HashList List, HashListEntry Entry, HeldKeypoints Keypoints)> _entries = [];
    private readonly Action<RobustModelMismatch>? _otherModel;
    private readonly HashSet<string> _warned = new(StringComparer.Ordinal);

    /// <summary>
    /// A matcher over the enabled robust entries of <paramref name="lists"/> made by the extractor's model; entries of
    /// another model are skipped, and <paramref name="otherModel"/> told once per list.
    /// </summary>
    public RobustMatcher(IEnumerable<HashList> lists, RobustFeatureExtractor extractor, Action<RobustModelMismatch>? otherModel = null)
    {
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(extractor);
        _extractor = extractor;
        _otherModel = otherModel;
        _options = extractor.Options;
        _index = new QuantizedDescriptorIndex(extractor.Model.Dimension);
        foreach (var list in lists)
        {
            foreach (var entry in list.Entries)
            {
                Add(list, entry);
            }
        }
    }

    /// <summary>Listed pictures held.</summary>
    public int Count => _entries.Count;

    /// <summary>Bytes the matcher holds for its pictures' descriptors and keypoints (not the lists' own entries).</summary>
    public long HeldBytes { get; private set; }

    /// <summary>
    /// Adds <paramref name="entry"/> when it is an enabled robust entry made by the extractor's model; returns whether it
    /// was added. An entry of another model is skipped (its descriptor is not comparable), the list reported once.
    /// </summary>
    public bool Add(HashList list, HashListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(list);
        ArgumentNullException.ThrowIfNull(entry);
        if (entry.SignalType != SignalTypes.Robust || !entry.Enabled ||
            !RobustFeatures.TryDecode(entry.Value, out var features, out _))
        {
            return false;
        }

        var model = _extractor.Model.ModelId;
        if (!string.Equals(features.ModelId, model, StringComparison.Ordinal))
        {
            if (_warned.Add(list.Name))
            {
                _otherModel?.Invoke(new RobustModelMismatch(list.Name, features.ModelId, model));
            }

            return false;
        }

        if (features.Descriptor.Length != _index.Dimension)
        {
            return false;
        }

        _index.Add(features.Descriptor);
        _entries.Add((list, entry, HeldKeypoints.From(features, _options.HeldKeypoints)));
        HeldBytes += _index.BytesPerDescriptor + _entries[^1].Keypoints.Bytes;
        return true;
    }

    /// <summary>The listed pictures <paramref name="image"/> shows, best first (most inliers); no match for a picture too small, flat or unknown.</summary>
    public MatchResult Match(DecodedImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (_entries.Count == 0 || image.Width < 8 || image.Height < 8)
        {
            return MatchResult.FromMatches([]);
        }

        // The keypoints are found only when a shortlisted picture is similar enough to be checked.
        return Match(image, _extractor.Model.Describe(image), null, cancellationToken);
    }

    /// <summary>As <see cref="Match(DecodedImage, CancellationToken)"/> with the file's entry already computed.</summary>
    public MatchResult Match(DecodedImage image, RobustFeatures query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(query);
        return Match(image, query.Descriptor, new LocalFeatures(query.Width, query.Height, query.Points, query.KeypointDescriptors), cancellationToken);
    }

    private MatchResult Match(DecodedImage image, float[] descriptor, LocalFeatures? asIs, CancellationToken cancellationToken)
    {
        if (_entries.Count == 0 || descriptor.Length != _index.Dimension)
        {
            return MatchResult.FromMatches([]);
        }

        var size = Math.Min(_options.ShortlistSize, _entries.Count);
        Span<int> rows = stackalloc int[size];
        Span<float> similarities = stackalloc float[size];
        var found = _index.Search(descriptor, size, rows, similarities);
        LocalFeatures? mirrored = null;
        var matches = new List<(RobustMatchDetails Details, ListMatch Match)>();
        for (var i = 0; i < found; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (similarities[i] < _options.MinSimilarity)
            {
                // Best first: the rest are less similar still.
                break;
            }

            var (list, entry, features) = _entries[rows[i]];
            asIs ??= LocalFeatureExtractor.Extract(image, _options.MaxKeypoints);
            var details = GeometricVerifier.Verify(asIs, features, _options, queryMirrored: false, similarities[i]);
            if (details is null)
            {
                mirrored ??= LocalFeatureExtractor.Extract(image, _options.MaxKeypoints, mirror: true);
                details = GeometricVerifier.Verify(mirrored, features, _options, queryMirrored: true, similarities[i]);
            }

            if (details is not null)
            {
                matches.Add((details, new ListMatch(list.Name, list.Kind, entry, SignalTypes.Robust, ShortValue(entry.Value), Math.Round(1 - details.Similarity, 4), DihedralTransform.Original)
                {
                    Variant = Variant,
                    Robust = details,
                }));
            }
        }

        matches.Sort((a, b) => b.Details.Inliers.CompareTo(a.Details.Inliers));
        return MatchResult.FromMatches([.. matches.Select(m => m.Match)]);
    }

    /// <summary>A short stand-in for a robust value in reports: <c>robust:</c> and 16 hex digits of its SHA-256.</summary>
    public static string ShortValue(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return "robust:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(value)).AsSpan(0, 8));
    }
}
