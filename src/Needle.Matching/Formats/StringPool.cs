using System.Text;

namespace Needle.Matching.Formats;

/// <summary>
/// Reuses the strings of repeated short texts (an import's categories, sources, metadata keys and recurring values):
/// a fixed table of slots, each holding the last string whose hash fell on it, so a text seen again soon after costs no
/// new string and the table never grows. Not thread-safe: one per reader.
/// </summary>
public sealed class StringPool
{
    private const int MaxLength = 128;
    private readonly string?[] _slots;
    private readonly int _mask;

    /// <summary>A pool of <paramref name="slots"/> slots (rounded up to a power of two).</summary>
    public StringPool(int slots = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)slots);
        _slots = new string?[size];
        _mask = size - 1;
    }

    /// <summary>The string of <paramref name="text"/>: the pooled one when the same text was seen last on its slot.</summary>
    public string Get(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return string.Empty;
        }

        if (text.Length > MaxLength)
        {
            return new string(text);
        }

        ref var slot = ref _slots[string.GetHashCode(text) & _mask];
        if (slot is { } pooled && pooled.AsSpan().SequenceEqual(text))
        {
            return pooled;
        }

        return slot = new string(text);
    }

    /// <summary>The string of the UTF-8 <paramref name="utf8"/> (see <see cref="Get(ReadOnlySpan{char})"/>).</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        // At most as many characters as bytes.
        Span<char> chars = stackalloc char[MaxLength];
        var length = Encoding.UTF8.GetChars(utf8, chars);
        return Get(chars[..length]);
    }
}
