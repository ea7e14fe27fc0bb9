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

    /// <summary>
    /// For an animated image (GIF, WebP or APNG with more than one frame): every hashed frame with its number; then
    /// <see cref="Pdq"/> is frame 0's. Null for a still image.
    /// </summary>
    public AnimationHash? Animation { get; init; }

    /// <summary>MD5 of the file's bytes, lowercase hex; null when not requested.</summary>
    public string? Md5 { get; init; }

    /// <summary>SHA-1 of the file's bytes, lowercase hex; null when not requested.</summary>
    public string? Sha1 { get; init; }

    /// <summary>SHA-256 of the file's bytes, lowercase hex; null when not requested.</summary>
    public string? Sha256 { get; init; }

    /// <summary>Size of the file in bytes; 0 when it could not be read.</summary>
    public long FileBytes { get; init; }

    /// <summary>Width stored in the file, in pixels, before any resampling or orientation; 0 when the image was not decoded.</summary>
    public int Width { get; init; }

    /// <summary>Height stored in the file, in pixels, before any resampling or orientation; 0 when the image was not decoded.</summary>
    public int Height { get; init; }

    /// <summary>The container format; <see cref="ImageFormat.Unknown"/> when the image was not decoded.</summary>
    public ImageFormat Format { get; init; }

    /// <summary>Why the file could not be hashed; null on success.</summary>
    public string? Error { get; init; }

    /// <summary>The decode failure kind, when the image part failed.</summary>
    public DecodeFailure? Failure { get; init; }

    /// <summary>Whether the file was hashed (<see cref="Error"/> is null).</summary>
    public bool Succeeded => Error is null;
}
