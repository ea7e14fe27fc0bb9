using System.Buffers.Binary;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Needle.Hashing;

/// <summary>
/// A 256-bit PDQ hash held as four contiguous 64-bit words.
/// </summary>
/// <remarks>
/// Bit <c>k</c> of the hash is bit <c>k % 64</c> of word <c>k / 64</c>; bit <c>16*i + j</c> is row <c>i</c>,
/// column <c>j</c> of the 16x16 DCT output. The text form is Meta's: 64 lowercase hex digits, most significant
/// bit first, so the last hex digit holds bits 3..0 and <see cref="W3"/> is printed first.
/// </remarks>
public readonly struct PdqHash : IEquatable<PdqHash>, ISpanFormattable
{
    /// <summary>Number of bits in a PDQ hash.</summary>
    public const int Bits = 256;

    /// <summary>Number of hex characters in the text form.</summary>
    public const int HexLength = 64;

    /// <summary>Number of 64-bit words.</summary>
    public const int WordCount = 4;

    /// <summary>The all-zero hash the reference prints for images it cannot hash (under 5 px).</summary>
    public static PdqHash Zero => default;

    /// <summary>Bits 0..63.</summary>
    public ulong W0 { get; }

    /// <summary>Bits 64..127.</summary>
    public ulong W1 { get; }

    /// <summary>Bits 128..191.</summary>
    public ulong W2 { get; }

    /// <summary>Bits 192..255.</summary>
    public ulong W3 { get; }

    /// <summary>Builds a hash from its four words.</summary>
    /// <param name="w0">Bits 0..63.</param>
    /// <param name="w1">Bits 64..127.</param>
    /// <param name="w2">Bits 128..191.</param>
    /// <param name="w3">Bits 192..255.</param>
    public PdqHash(ulong w0, ulong w1, ulong w2, ulong w3)
    {
        W0 = w0;
        W1 = w1;
        W2 = w2;
        W3 = w3;
    }

    /// <summary>Builds a hash from four words, word 0 first.</summary>
    public static PdqHash FromWords(ReadOnlySpan<ulong> words)
    {
        if (words.Length < WordCount)
        {
            throw new ArgumentException($"A PDQ hash needs {WordCount} words, got {words.Length}.", nameof(words));
        }

        return new PdqHash(words[0], words[1], words[2], words[3]);
    }

    /// <summary>Copies the four words, word 0 first, into <paramref name="destination"/>.</summary>
    public void CopyTo(Span<ulong> destination)
    {
        if (destination.Length < WordCount)
        {
            throw new ArgumentException($"Destination needs room for {WordCount} words.", nameof(destination));
        }

        destination[0] = W0;
        destination[1] = W1;
        destination[2] = W2;
        destination[3] = W3;
    }

    /// <summary>Gets the word at <paramref name="index"/> (0..3).</summary>
    public ulong this[int index] => index switch
    {
        0 => W0,
        1 => W1,
        2 => W2,
        3 => W3,
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    /// <summary>Whether bit <paramref name="bit"/> (0..255) is set.</summary>
    public bool GetBit(int bit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bit);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bit, Bits);
        return ((this[bit >> 6] >> (bit & 63)) & 1UL) != 0;
    }

    /// <summary>Number of set bits.</summary>
    public int PopCount =>
        BitOperations.PopCount(W0) + BitOperations.PopCount(W1) + BitOperations.PopCount(W2) + BitOperations.PopCount(W3);

    /// <summary>Hamming distance: the number of bits that differ.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int HammingDistance(PdqHash other) =>
        BitOperations.PopCount(W0 ^ other.W0) + BitOperations.PopCount(W1 ^ other.W1) +
        BitOperations.PopCount(W2 ^ other.W2) + BitOperations.PopCount(W3 ^ other.W3);

    /// <summary>Parses Meta's 64-hex-digit form (either case).</summary>
    /// <exception cref="FormatException">The text is not 64 hex digits.</exception>
    public static PdqHash Parse(ReadOnlySpan<char> text)
    {
        if (!TryParse(text, out var hash))
        {
            throw new FormatException(
                $"A PDQ hash is {HexLength} hex digits; got {text.Length} characters: '{Truncate(text)}'.");
        }

        return hash;
    }

    /// <summary>Parses Meta's 64-hex-digit form (either case) without throwing.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out PdqHash hash)
    {
        hash = default;
        if (text.Length != HexLength)
        {
            return false;
        }

        // Text is most-significant first: characters 0..15 are W3.
        if (!ulong.TryParse(text[..16], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var w3) ||
            !ulong.TryParse(text[16..32], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var w2) ||
            !ulong.TryParse(text[32..48], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var w1) ||
            !ulong.TryParse(text[48..64], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var w0))
        {
            return false;
        }

        hash = new PdqHash(w0, w1, w2, w3);
        return true;
    }

    /// <summary>Writes the 32 bytes most-significant first (the byte order of the hex form).</summary>
    public void WriteBigEndian(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, W3);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], W2);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], W1);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], W0);
    }

    /// <summary>Reads 32 bytes most-significant first (the byte order of the hex form).</summary>
    public static PdqHash ReadBigEndian(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64BigEndian(source[24..]),
        BinaryPrimitives.ReadUInt64BigEndian(source[16..]),
        BinaryPrimitives.ReadUInt64BigEndian(source[8..]),
        BinaryPrimitives.ReadUInt64BigEndian(source));

    /// <summary>Meta's text form: 64 lowercase hex digits, most significant bit first.</summary>
    public override string ToString() => string.Create(HexLength, this, static (span, h) => h.TryFormat(span, out _, default, null));

    /// <summary>The same as <see cref="ToString()"/>; the format and the provider are ignored.</summary>
    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    /// <summary>Writes the 64-hex-digit form; false when <paramref name="destination"/> is shorter than 64 characters. The format and the provider are ignored.</summary>
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < HexLength)
        {
            charsWritten = 0;
            return false;
        }

        W3.TryFormat(destination, out _, "x16", CultureInfo.InvariantCulture);
        W2.TryFormat(destination[16..], out _, "x16", CultureInfo.InvariantCulture);
        W1.TryFormat(destination[32..], out _, "x16", CultureInfo.InvariantCulture);
        W0.TryFormat(destination[48..], out _, "x16", CultureInfo.InvariantCulture);
        charsWritten = HexLength;
        return true;
    }

    /// <summary>Whether all 256 bits are equal.</summary>
    public bool Equals(PdqHash other) => W0 == other.W0 && W1 == other.W1 && W2 == other.W2 && W3 == other.W3;

    /// <summary>Whether <paramref name="obj"/> is a <see cref="PdqHash"/> with the same 256 bits.</summary>
    public override bool Equals(object? obj) => obj is PdqHash other && Equals(other);

    /// <summary>A hash code over the four words.</summary>
    public override int GetHashCode() => HashCode.Combine(W0, W1, W2, W3);

    /// <summary>Whether the two hashes have the same 256 bits.</summary>
    public static bool operator ==(PdqHash left, PdqHash right) => left.Equals(right);

    /// <summary>Whether the two hashes differ in at least one bit.</summary>
    public static bool operator !=(PdqHash left, PdqHash right) => !left.Equals(right);

    private static string Truncate(ReadOnlySpan<char> text) => text.Length <= 80 ? text.ToString() : string.Concat(text[..77], "...");
}
