namespace Needle.Application.Lists;

/// <summary>
/// Where and how often a node keeps snapshots of its in-memory lists (see <see cref="HashListService"/>): one file per
/// list in <see cref="Directory"/>, loaded at start instead of reading every entry from the database.
/// </summary>
public sealed record ListSnapshotOptions
{
    /// <summary>The node's snapshot folder (created when missing). Not shared between nodes.</summary>
    public required string Directory { get; init; }

    /// <summary>
    /// Entry changes (added, removed, enabled, disabled; this node's and other nodes') after which the snapshots are
    /// written again in the background. Default 100,000. They are also written on a clean shutdown.
    /// </summary>
    public int RefreshAfterChanges { get; init; } = 100_000;
}
