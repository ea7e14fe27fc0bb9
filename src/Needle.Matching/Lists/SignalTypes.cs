using System.Diagnostics.CodeAnalysis;

namespace Needle.Matching.Lists;

/// <summary>The built-in signal types.</summary>
public static class SignalTypes
{
    /// <summary>Meta PDQ, 256-bit perceptual hash, Hamming distance.</summary>
    public static SignalType Pdq { get; } = new PdqSignalType();

    /// <summary>MD5, 32 hex digits.</summary>
    public static SignalType Md5 { get; } = new Md5SignalType();

    /// <summary>SHA-1, 40 hex digits.</summary>
    public static SignalType Sha1 { get; } = new Sha1SignalType();

    /// <summary>SHA-256, 64 hex digits.</summary>
    public static SignalType Sha256 { get; } = new Sha256SignalType();

    /// <summary>Microsoft PhotoDNA, 144-byte vector computed elsewhere, Euclidean distance.</summary>
    public static SignalType PhotoDna { get; } = new PhotoDnaSignalType();

    /// <summary>Meta vPDQ: a video's sampled PDQ frames (vPDQ text lines joined by ';'), matched by a video index.</summary>
    public static SignalType Vpdq { get; } = new VpdqSignalType();

    /// <summary>
    /// Needle's robust entry: a global image descriptor and local features (<see cref="RobustFeatures"/>), matched by
    /// the robust tier (Needle.Robust) for cropped, rotated, mirrored, framed and screenshotted copies.
    /// </summary>
    public static SignalType Robust { get; } = new RobustSignalType();

    /// <summary>All built-in types.</summary>
    public static IReadOnlyList<SignalType> All { get; } = [Pdq, Md5, Sha1, Sha256, PhotoDna, Vpdq, Robust];

    /// <summary>Finds a type by name, case-insensitively; also accepts common spellings (<c>sha-1</c>, <c>pdna</c>, <c>photo_dna</c>, and HMA's <c>video_md5</c> for MD5).</summary>
    public static bool TryGet(string? name, [NotNullWhen(true)] out SignalType? signalType)
    {
        signalType = name?.Trim().ToLowerInvariant() switch
        {
            "pdq" => Pdq,
            "md5" or "video_md5" or "vmd5" => Md5,
            "sha1" or "sha-1" => Sha1,
            "sha256" or "sha-256" => Sha256,
            "photodna" or "pdna" or "photo_dna" or "photo-dna" => PhotoDna,
            "vpdq" => Vpdq,
            "robust" => Robust,
            _ => null,
        };
        return signalType is not null;
    }

    /// <summary>Finds a type by name; throws when unknown.</summary>
    public static SignalType Get(string name) =>
        TryGet(name, out var type) ? type : throw new ArgumentException($"Unknown signal type '{name}'. Known: pdq, md5, sha1, sha256, photodna, vpdq, robust.", nameof(name));
}
