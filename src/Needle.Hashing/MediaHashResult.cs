namespace Needle.Hashing;

/// <summary>The hashes of one file, or why it could not be hashed.</summary>
public sealed class MediaHashResult
{
    /// <summary>The path as the caller gave it.</summary>
    public required string Path { get; init; }

    /// <summary>PDQ of the image as stored (when requested and decodable).</summary>
    public PdqResult? Pdq { get; init; }

    /// <summary>The eight dihedral hashes (when requested).</summary>
    public PdqDihedralResult? Dihedral { get; init; }

    public string? Md5 { get; init; }

    public string? Sha1 { get; init; }

    public string? Sha256 { get; init; }

    public long FileBytes { get; init; }

    public int Width { get; init; }

    public int Height { get; init; }

    public ImageFormat Format { get; init; }

    /// <summary>Why the file could not be hashed; null on success.</summary>
    public string? Error { get; init; }

    /// <summary>The decode failure kind, when the image part failed.</summary>
    public DecodeFailure? Failure { get; init; }

    public bool Succeeded => Error is null;
}
