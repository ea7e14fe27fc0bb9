using Needle.Core.Reports;

namespace Needle.Core.Storage;

/// <summary>
/// The robust tier's features of every processed image, computed once by processing: the global descriptor (half
/// floats, compact, read by the in-memory similarity column) and the whole robust entry (descriptor and keypoints,
/// read back only for the few candidates checked geometrically and for the organisation's list).
/// </summary>
public interface IRobustStore
{
    /// <summary>Stores a file's features; a file already holding features keeps them (they are computed the same each time).</summary>
    /// <exception cref="KeyNotFoundException">The file does not exist.</exception>
    Task SaveAsync(RobustFeatureRow features, CancellationToken cancellationToken = default);

    /// <summary>
    /// The file holding stored features for files of this SHA-256 (saved with <see cref="RobustFeatureRow.Sha256"/>)
    /// made by <paramref name="model"/> (<see cref="RobustFeatureRow.Model"/>: null for the default model), or null
    /// when none does: an identical copy then refers to it with <see cref="SaveCopyAsync"/> instead of computing and
    /// storing the same features again. Features another model made are never reused.
    /// </summary>
    Task<Guid?> FindBySha256Async(string sha256, string? model = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stores that a file has the same features as <paramref name="sourceFileId"/> (an identical copy): a reference row
    /// of a few ids, through which <see cref="GetFeaturesAsync"/> and <see cref="ReadDescriptorsAsync"/> resolve the
    /// source's features. Returns false (storing nothing) when the source holds no features of its own; a file already
    /// holding features keeps them.
    /// </summary>
    /// <exception cref="KeyNotFoundException">The file does not exist.</exception>
    Task<bool> SaveCopyAsync(Guid fileId, Guid reportId, Guid sourceFileId, CancellationToken cancellationToken = default);

    /// <summary>How many files hold features of their own, how many refer to another's, and the bytes held.</summary>
    Task<RobustFeatureCounts> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>The file's robust entry (<c>r1.</c> + base64, see <see cref="Needle.Matching.Lists.RobustFeatures"/>), or null when none was stored.</summary>
    Task<string?> GetFeaturesAsync(Guid fileId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The descriptors stored after <paramref name="afterSequence"/>, in sequence order, at most <paramref name="limit"/>:
    /// the in-memory similarity column follows them. Sequences only grow; rows of concurrent writers may commit out of
    /// sequence order, so a follower reads a little way back and skips the files it holds.
    /// </summary>
    Task<IReadOnlyList<RobustDescriptorRow>> ReadDescriptorsAsync(long afterSequence, int limit, CancellationToken cancellationToken = default);

    /// <summary>
    /// The stored descriptors of these files (those that have one), in no particular order: the exact values the
    /// in-memory similarity column re-ranks its compact shortlist by.
    /// </summary>
    Task<IReadOnlyList<RobustDescriptorRow>> ReadDescriptorsOfAsync(IReadOnlyList<Guid> fileIds, CancellationToken cancellationToken = default);
}
