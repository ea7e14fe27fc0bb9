namespace Needle.Matching.Lists;

/// <summary>How values of a signal type are compared.</summary>
public enum SignalComparison
{
    /// <summary>Equal values match (cryptographic hashes).</summary>
    Exact,

    /// <summary>Values within a Hamming distance match (PDQ).</summary>
    Hamming,

    /// <summary>Values within a Euclidean distance match (PhotoDNA).</summary>
    Euclidean,

    /// <summary>Values are compared by descriptor similarity and a geometric check of local features (robust), outside <see cref="ListMatcher"/>.</summary>
    Geometric,
}
