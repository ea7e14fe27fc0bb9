namespace Needle.Hashing;

/// <summary>Which hashes <see cref="MediaFileHasher"/> computes.</summary>
[Flags]
public enum HashAlgorithms
{
    /// <summary>Nothing; the result carries only the path and the size.</summary>
    None = 0,

    /// <summary>PDQ perceptual hash of the decoded image, with its quality (the only one that needs decoding).</summary>
    Pdq = 1,

    /// <summary>MD5 of the file's bytes, lowercase hex.</summary>
    Md5 = 2,

    /// <summary>SHA-1 of the file's bytes, lowercase hex.</summary>
    Sha1 = 4,

    /// <summary>SHA-256 of the file's bytes, lowercase hex.</summary>
    Sha256 = 8,
}
