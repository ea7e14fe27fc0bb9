namespace Needle.Hashing;

/// <summary>Which hashes <see cref="MediaFileHasher"/> computes.</summary>
[Flags]
public enum HashAlgorithms
{
    None = 0,
    Pdq = 1,
    Md5 = 2,
    Sha1 = 4,
    Sha256 = 8,
}
