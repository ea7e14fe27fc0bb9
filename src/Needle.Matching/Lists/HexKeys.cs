using System.Globalization;

namespace Needle.Matching.Lists;

/// <summary>SHA-1 digest as a value key (160 bits), so lookups hash three integers instead of a string.</summary>
internal readonly record struct Sha1Key(ulong High, ulong Middle, uint Low);

/// <summary>SHA-256 digest as a value key (256 bits).</summary>
internal readonly record struct Sha256Key(ulong W3, ulong W2, ulong W1, ulong W0);

/// <summary>Allocation-free hex parsing of fixed-length digests into keys.</summary>
internal static class HexKeys
{
    public static bool TryParseMd5(ReadOnlySpan<char> hex, out UInt128 key)
    {
        key = default;
        if (hex.Length != 32 || !TryWord(hex[..16], out var hi) || !TryWord(hex[16..], out var lo))
        {
            return false;
        }

        key = new UInt128(hi, lo);
        return true;
    }

    public static bool TryParseSha1(ReadOnlySpan<char> hex, out Sha1Key key)
    {
        key = default;
        if (hex.Length != 40 || !TryWord(hex[..16], out var a) || !TryWord(hex[16..32], out var b) ||
            !uint.TryParse(hex[32..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var c))
        {
            return false;
        }

        key = new Sha1Key(a, b, c);
        return true;
    }

    public static bool TryParseSha256(ReadOnlySpan<char> hex, out Sha256Key key)
    {
        key = default;
        if (hex.Length != 64 || !TryWord(hex[..16], out var a) || !TryWord(hex[16..32], out var b) ||
            !TryWord(hex[32..48], out var c) || !TryWord(hex[48..], out var d))
        {
            return false;
        }

        key = new Sha256Key(a, b, c, d);
        return true;
    }

    /// <summary>True when every character is a hex digit (ulong.TryParse alone would accept none of sign or spaces, but be explicit).</summary>
    public static bool IsHex(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        return text.Length > 0;
    }

    private static bool TryWord(ReadOnlySpan<char> hex, out ulong value) =>
        ulong.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
