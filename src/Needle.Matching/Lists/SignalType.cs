using System.Diagnostics.CodeAnalysis;

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
}

/// <summary>
/// A kind of hash a list can hold: knows its name, how to validate and normalize a value, and how to build the matcher
/// that searches values of its kind. New kinds (for example video vPDQ) plug in by deriving from this class.
/// </summary>
public abstract class SignalType
{
    /// <summary>The lowercase name used in files and on the command line (<c>pdq</c>, <c>md5</c>, ...).</summary>
    public abstract string Name { get; }

    /// <summary>How two values are compared.</summary>
    public abstract SignalComparison Comparison { get; }

    /// <summary>The threshold a list uses when none is set; 0 for exact types.</summary>
    public virtual double DefaultThreshold => 0;

    /// <summary>Validates <paramref name="text"/> and returns its canonical form (trimmed, lowercase hex or base64).</summary>
    public abstract bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? error);

    /// <summary>Returns the canonical form of <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The value is not valid for this type.</exception>
    public string Normalize(ReadOnlySpan<char> text) =>
        TryNormalize(text, out var normalized, out var error) ? normalized : throw new FormatException(error);

    /// <summary>Checks a threshold for this type; throws when it is out of range.</summary>
    public virtual void ValidateThreshold(double threshold)
    {
        if (double.IsNaN(threshold) || threshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"A {Name} threshold must be 0 or more.");
        }
    }

    /// <summary>Builds the structure that searches values of this type.</summary>
    internal abstract SignalMatcher CreateMatcher(SignalMatcherContext context);

    public override string ToString() => Name;
}

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

    /// <summary>All built-in types.</summary>
    public static IReadOnlyList<SignalType> All { get; } = [Pdq, Md5, Sha1, Sha256, PhotoDna, Vpdq];

    /// <summary>Finds a type by name, case-insensitively; also accepts common spellings (<c>sha-1</c>, <c>pdna</c>, <c>photo_dna</c>).</summary>
    public static bool TryGet(string? name, [NotNullWhen(true)] out SignalType? signalType)
    {
        signalType = name?.Trim().ToLowerInvariant() switch
        {
            "pdq" => Pdq,
            "md5" => Md5,
            "sha1" or "sha-1" => Sha1,
            "sha256" or "sha-256" => Sha256,
            "photodna" or "pdna" or "photo_dna" or "photo-dna" => PhotoDna,
            "vpdq" => Vpdq,
            _ => null,
        };
        return signalType is not null;
    }

    /// <summary>Finds a type by name; throws when unknown.</summary>
    public static SignalType Get(string name) =>
        TryGet(name, out var type) ? type : throw new ArgumentException($"Unknown signal type '{name}'. Known: pdq, md5, sha1, sha256, photodna, vpdq.", nameof(name));
}
