namespace Needle.Matching.Index;

/// <summary>
/// What multi-index range searches did, summed over the searches given this object (for the load harness's breakdown;
/// not thread-safe, one per measuring thread).
/// </summary>
internal sealed class SearchCounters
{
    /// <summary>Bucket keys looked up (every key of every probed ball).</summary>
    public long Probes { get; set; }

    /// <summary>Probed buckets that held at least one slot.</summary>
    public long NonEmptyBuckets { get; set; }

    /// <summary>Slots read from the probed buckets (hashes compared on all 256 bits, or rejected earlier).</summary>
    public long Candidates { get; set; }

    /// <summary>Candidates whose full hash was read (not rejected by a cheaper check first).</summary>
    public long HashesRead { get; set; }

    /// <summary>Searches answered by a full scan instead of the tables.</summary>
    public long Scans { get; set; }
}
