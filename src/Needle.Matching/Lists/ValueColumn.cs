using System.Runtime.InteropServices;
using Needle.Matching.Index;

namespace Needle.Matching.Lists;

/// <summary>
/// The fixed-width values of one signal type in one <see cref="HashList"/>, back to back in 8-byte words (a value takes
/// <see cref="StrideWords"/> words; its bytes are the first <see cref="Width"/> of them), and per value the list row it
/// belongs to. Append-only: a value keeps its place (and bytes) after its entry is removed, so matchers can search the
/// column itself instead of a copy (the PDQ index uses <see cref="Words"/> as its hash array and <see cref="Rows"/> as
/// its ids). The rows increase with the value index, so the value of a row is found by binary search.
/// </summary>
/// <remarks>
/// One writer appends under the list's lock. A reader that learnt of value v (through the list's observer calls) may
/// read it without the lock from the arrays it reads from <see cref="Words"/> and <see cref="Rows"/>: a grown array is
/// filled before it is published, and values never change in place.
/// </remarks>
internal sealed class ValueColumn
{
    private const int InitialCapacity = 16;

    private ulong[] _words;
    private int[] _rows;
    private int _count;

    public ValueColumn(int width)
    {
        Width = width;
        StrideWords = (width + 7) / 8;
        _words = new ulong[InitialCapacity * StrideWords];
        _rows = new int[InitialCapacity];
    }

    /// <summary>Bytes of one value.</summary>
    public int Width { get; }

    /// <summary>8-byte words one value takes.</summary>
    public int StrideWords { get; }

    /// <summary>Values appended (removed entries' values included).</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The current value words (capacity may exceed <see cref="Count"/>).</summary>
    public ulong[] Words => Volatile.Read(ref _words);

    /// <summary>The current row of each value (capacity may exceed <see cref="Count"/>).</summary>
    public int[] Rows => Volatile.Read(ref _rows);

    /// <summary>Bytes held by the arrays.</summary>
    public long Bytes => (Words.LongLength * sizeof(ulong)) + (Rows.LongLength * sizeof(int));

    /// <summary>Appends a value of <paramref name="type"/> for <paramref name="row"/>; returns its index.</summary>
    public int Append(SignalType type, string canonical, int row)
    {
        var index = Reserve();
        type.EncodeValue(canonical, ValueBytes(_words, index));
        return Publish(index, row);
    }

    /// <summary>Appends a value given in binary form for <paramref name="row"/>; returns its index.</summary>
    public int Append(ReadOnlySpan<byte> value, int row)
    {
        var index = Reserve();
        value.CopyTo(ValueBytes(_words, index));
        return Publish(index, row);
    }

    /// <summary>The bytes of value <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Get(int index) => ValueBytes(Words, index);

    /// <summary>
    /// The index of the value of <paramref name="row"/>, found by binary search (values are appended in row order, so
    /// <see cref="Rows"/> increases): the list keeps no per-row value index. Writer or lock holder only.
    /// </summary>
    public int IndexOfRow(int row)
    {
        var index = Array.BinarySearch(_rows, 0, _count, row);
        return index >= 0 ? index : throw new InvalidOperationException($"Row {row} has no value in this column.");
    }

    /// <summary>Every value so far, whole values back to back (the layout <see cref="FromPacked"/> takes). Writer or lock holder only.</summary>
    public byte[] CopyPacked()
    {
        var packed = new byte[(long)_count * Width];
        var bytes = MemoryMarshal.AsBytes(_words.AsSpan(0, _count * StrideWords));
        if (StrideWords * 8 == Width)
        {
            bytes.CopyTo(packed);
        }
        else
        {
            for (var i = 0; i < _count; i++)
            {
                bytes.Slice(i * StrideWords * 8, Width).CopyTo(packed.AsSpan(i * Width, Width));
            }
        }

        return packed;
    }

    /// <summary>The row of value <paramref name="index"/>.</summary>
    public int RowOf(int index) => Rows[index];

    /// <summary>A column holding <paramref name="packed"/> (whole values back to back) for rows <paramref name="rows"/>, taking ownership of the rows.</summary>
    public static ValueColumn FromPacked(int width, ReadOnlySpan<byte> packed, int[] rows)
    {
        var column = new ValueColumn(width);
        var count = rows.Length;
        var capacity = Math.Max(count, InitialCapacity);
        if (column.StrideWords * 8 == width)
        {
            column._words = NewWords(capacity * column.StrideWords, MemoryMarshal.Cast<byte, ulong>(packed[..(count * width)]));
        }
        else
        {
            column._words = NewWords(capacity * column.StrideWords, []);
            var bytes = MemoryMarshal.AsBytes(column._words.AsSpan());
            for (var i = 0; i < count; i++)
            {
                packed.Slice(i * width, width).CopyTo(bytes.Slice(i * column.StrideWords * 8, width));
            }
        }

        if (rows.Length < InitialCapacity)
        {
            Array.Resize(ref rows, InitialCapacity);
        }

        column._rows = rows;
        column._count = count;
        return column;
    }

    /// <summary>
    /// A column taking ownership of <paramref name="words"/> (whole values of <see cref="StrideWords"/> words, as many as
    /// <paramref name="rows"/>) and of the rows.
    /// </summary>
    public static ValueColumn FromWords(int width, ulong[] words, int[] rows)
    {
        var column = new ValueColumn(width);
        var count = rows.Length;
        if (words.LongLength != (long)count * column.StrideWords)
        {
            throw new ArgumentException($"{words.Length} words do not hold {count} values of {width} bytes.", nameof(words));
        }

        if (count < InitialCapacity)
        {
            Array.Resize(ref words, InitialCapacity * column.StrideWords);
            Array.Resize(ref rows, InitialCapacity);
        }

        column._words = words;
        column._rows = rows;
        column._count = count;
        return column;
    }

    private int Reserve()
    {
        var index = _count;
        if (index == _rows.Length)
        {
            var capacity = index * 2;
            var words = NewWords(capacity * StrideWords, _words.AsSpan(0, index * StrideWords));
            var rows = new int[capacity];
            _rows.AsSpan(0, index).CopyTo(rows);
            Volatile.Write(ref _words, words);
            Volatile.Write(ref _rows, rows);
        }

        return index;
    }

    /// <summary>
    /// A zeroed word array starting with <paramref name="kept"/>. The PDQ index reads hashes from it at random (a
    /// candidate is one read into gigabytes at 100M entries), so it is allocated advised for huge pages, like the
    /// index's own arrays; the tail is zeroed because a value narrower than its stride keeps zero padding.
    /// </summary>
    private static ulong[] NewWords(int length, ReadOnlySpan<ulong> kept)
    {
        var words = LargeArrays.AllocateUninitialized<ulong>(length);
        kept.CopyTo(words);
        words.AsSpan(kept.Length).Clear();
        return words;
    }

    private int Publish(int index, int row)
    {
        _rows[index] = row;
        Volatile.Write(ref _count, index + 1);
        return index;
    }

    private Span<byte> ValueBytes(ulong[] words, int index) =>
        MemoryMarshal.AsBytes(words.AsSpan(index * StrideWords, StrideWords))[..Width];
}
