using System.Diagnostics.CodeAnalysis;

namespace Needle.Matching.Lists;

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
    public abstract bool TryNormalize(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? normalized, [NotNullWhen(false)] out string? problem);

    /// <summary>
    /// Whether <paramref name="text"/> is a value that can never match anything (PDQ's all-zero hash, which marks an
    /// image too small to hash). List readers skip such values with a warning instead of refusing the list.
    /// </summary>
    /// <param name="text">The value as read.</param>
    /// <param name="reason">Why it can never match, when it cannot.</param>
    /// <returns>True when the value is to be skipped.</returns>
    public virtual bool CanNeverMatch(ReadOnlySpan<char> text, [NotNullWhen(true)] out string? reason)
    {
        reason = null;
        return false;
    }

    /// <summary>Returns the canonical form of <paramref name="text"/>.</summary>
    /// <exception cref="FormatException">The value is not valid for this type.</exception>
    public string Normalize(ReadOnlySpan<char> text) =>
        TryNormalize(text, out var normalized, out var problem) ? normalized : throw new FormatException(problem);

    /// <summary>Checks a threshold for this type; throws when it is out of range.</summary>
    public virtual void ValidateThreshold(double threshold)
    {
        if (double.IsNaN(threshold) || threshold < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, $"A {Name} threshold must be 0 or more.");
        }
    }

    /// <summary>
    /// Width in bytes of the binary form a list keeps of a value in its columns; 0 when values have no fixed width
    /// (they are kept with the entry's details instead).
    /// </summary>
    internal virtual int ValueBytes => 0;

    /// <summary>Whether the canonical value is the lowercase hex of its <see cref="ValueBytes"/> binary bytes.</summary>
    internal virtual bool IsHexValue => false;

    /// <summary>Writes the binary form of a canonical value (<see cref="ValueBytes"/> bytes).</summary>
    internal virtual void EncodeValue(string canonical, Span<byte> destination) =>
        throw new NotSupportedException($"{Name} values have no fixed-width binary form.");

    /// <summary>The canonical value of a binary form written by <see cref="EncodeValue"/>.</summary>
    internal virtual string DecodeValue(ReadOnlySpan<byte> source) =>
        throw new NotSupportedException($"{Name} values have no fixed-width binary form.");

    /// <summary>Builds the structure that searches values of this type.</summary>
    internal abstract SignalMatcher CreateMatcher(SignalMatcherContext context);

    /// <summary>The <see cref="Name"/>.</summary>
    public override string ToString() => Name;
}
