using Needle.Hashing;

namespace Needle.Matching.Lists;

/// <summary>The hashes known for one scanned file; any may be missing.</summary>
public sealed class FileSignals
{
    /// <summary>PDQ hash of the file as stored.</summary>
    public PdqHash? Pdq { get; init; }

    /// <summary>
    /// Optionally the 8 dihedral PDQ hashes in <see cref="DihedralTransform"/> order (index 0 is the original). When
    /// set, it is used instead of <see cref="Pdq"/>.
    /// </summary>
    public IReadOnlyList<PdqHash>? PdqDihedral { get; init; }

    /// <summary>PDQ quality (0..100) if known; see <see cref="ListMatcherOptions.MinimumPdqQuality"/>.</summary>
    public int? PdqQuality { get; init; }

    /// <summary>MD5 as 32 hex digits, either case.</summary>
    public string? Md5 { get; init; }

    /// <summary>SHA-1 as 40 hex digits, either case.</summary>
    public string? Sha1 { get; init; }

    /// <summary>SHA-256 as 64 hex digits, either case.</summary>
    public string? Sha256 { get; init; }

    /// <summary>PhotoDNA vector, 144 bytes, computed elsewhere.</summary>
    public byte[]? PhotoDna { get; init; }
}
