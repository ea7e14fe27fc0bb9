using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using Needle.Hashing;

namespace Needle.Matching.Compiled;

/// <summary>
/// The machinery the span readers share: the list file memory-mapped, cut into spans at line ends, and the spans
/// parsed in parallel in groups of one span per core, one group parsed while the one before it is appended (which only
/// one thread can do). Each reader brings its own block (one span's rows), its per-span parse and its append.
/// </summary>
internal static unsafe class MappedSpanPipeline
{
    /// <summary>Bytes of file one parallel span covers (tests use smaller ones to get many groups).</summary>
    public const int SpanBytes = 16 << 20;

    /// <summary>Reads one span's lines into a block.</summary>
    public delegate void SpanParser<TBlock>(ReadOnlySpan<byte> span, TBlock block);

    /// <summary>Whether a line is one to pass over.</summary>
    public delegate bool LineTest(ReadOnlySpan<byte> line);

    /// <summary>Sees the first group's parsed blocks and the bytes they covered, before any is appended.</summary>
    public delegate void FirstGroup<TBlock>(ReadOnlySpan<TBlock> blocks, long bytes);

    /// <summary>
    /// The file mapped and handed to <paramref name="read"/> (its first byte, its length), or the default when the file
    /// is empty or starts with a byte order mark, a NUL or UTF-16: the general reader decides those.
    /// </summary>
    public static T? Map<T>(string path, Func<nint, long, T?> read)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        var length = stream.Length;
        if (length == 0)
        {
            return default;
        }

        using var map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            var all = pointer + view.PointerOffset;
            return all[0] >= 0x80 || all[0] == 0 ? default : read((nint)all, length);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    /// <summary>
    /// Parses the bytes from <paramref name="start"/> to <paramref name="length"/> in spans of about
    /// <paramref name="spanBytes"/> cut at line ends and appends the blocks in file order; false as soon as
    /// <paramref name="append"/> refuses a block (the caller then leaves the file to the general reader).
    /// </summary>
    public static bool Run<TBlock>(
        nint data,
        long start,
        long length,
        int spanBytes,
        Func<TBlock> createBlock,
        SpanParser<TBlock> parse,
        FirstGroup<TBlock> firstGroup,
        Func<TBlock, bool> append)
    {
        var all = (byte*)data;
        var bounds = new List<long> { start };
        while (bounds[^1] < length)
        {
            var next = bounds[^1] + spanBytes;
            if (next >= length)
            {
                bounds.Add(length);
                break;
            }

            var rest = new ReadOnlySpan<byte>(all + next, (int)Math.Min(int.MaxValue, length - next));
            var newline = rest.IndexOf((byte)'\n');
            bounds.Add(newline < 0 ? length : next + newline + 1);
        }

        var spans = bounds.Count - 1;
        if (spans == 0)
        {
            return true;
        }

        var group = Math.Min(Math.Max(1, Environment.ProcessorCount), spans);

        // Two sets of blocks, reused group after group (fresh ones would pile up as large-object garbage): while one
        // group's rows are appended, the next group is parsed.
        var sets = new TBlock[2][];
        for (var set = 0; set < sets.Length; set++)
        {
            sets[set] = new TBlock[group];
            for (var i = 0; i < group; i++)
            {
                sets[set][i] = createBlock();
            }
        }

        void ParseGroup(int first, TBlock[] blocks)
        {
            var count = Math.Min(group, spans - first);
            Parallel.For(0, count, i =>
            {
                var begin = bounds[first + i];
                parse(new ReadOnlySpan<byte>((byte*)data + begin, (int)(bounds[first + i + 1] - begin)), blocks[i]);
            });
        }

        ParseGroup(0, sets[0]);
        for (var first = 0; first < spans; first += group)
        {
            var blocks = sets[(first / group) % 2];
            var count = Math.Min(group, spans - first);
            var next = first + group;
            var parsing = next < spans ? Task.Run(() => ParseGroup(next, sets[(next / group) % 2])) : Task.CompletedTask;
            try
            {
                if (first == 0)
                {
                    firstGroup(blocks.AsSpan(0, count), bounds[count] - bounds[0]);
                }

                for (var i = 0; i < count; i++)
                {
                    if (!append(blocks[i]))
                    {
                        return false;
                    }
                }
            }
            finally
            {
                // The next group's parse reads the mapped file: it ends before this method (and the mapping) does.
                parsing.GetAwaiter().GetResult();
            }
        }

        return true;
    }

    /// <summary>
    /// The first line of the file (without its "\n") that <paramref name="skip"/> does not pass over, and where the line
    /// after it starts; false when it passes over every line.
    /// </summary>
    public static bool TryFirstLine(byte* all, long length, LineTest skip, out ReadOnlySpan<byte> line, out long next)
    {
        long position = 0;
        while (position < length)
        {
            var rest = new ReadOnlySpan<byte>(all + position, (int)Math.Min(int.MaxValue, length - position));
            var newline = rest.IndexOf((byte)'\n');
            line = newline < 0 ? rest : rest[..newline];
            next = newline < 0 ? length : position + newline + 1;
            if (!skip(line))
            {
                return true;
            }

            position = next;
        }

        line = default;
        next = 0;
        return false;
    }

    /// <summary>
    /// The next line of <paramref name="rest"/> without its "\n" and a "\r" before it, <paramref name="rest"/> moved past
    /// it; a last line with no "\n" loses a final "\r" only when <paramref name="trimUnterminatedCr"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ReadOnlySpan<byte> NextLine(ref ReadOnlySpan<byte> rest, bool trimUnterminatedCr)
    {
        var newline = rest.IndexOf((byte)'\n');
        var line = newline < 0 ? rest : rest[..newline];
        rest = newline < 0 ? default : rest[(newline + 1)..];
        return (newline >= 0 || trimUnterminatedCr) && !line.IsEmpty && line[^1] == '\r' ? line[..^1] : line;
    }

    /// <summary>How many bytes EntryDetailCodec.WriteNumber writes for <paramref name="number"/>.</summary>
    public static int NumberLength(int number)
    {
        var length = 1;
        for (var n = (uint)number; n >= 0x80; n >>= 7)
        {
            length++;
        }

        return length;
    }

    /// <summary>The value of a hex digit (either case), or -1.</summary>
    public static int HexDigit(byte c) =>
        c is >= (byte)'0' and <= (byte)'9' ? c - '0'
        : (c | 0x20) is >= (byte)'a' and <= (byte)'f' ? (c | 0x20) - 'a' + 10
        : -1;

    /// <summary>
    /// A PDQ hash's 64 hex digits as its words (Meta's hex form writes the highest word first); false on any other byte
    /// and for the all-zero hash, which the general readers skip or refuse.
    /// </summary>
    public static bool TryParsePdq(ReadOnlySpan<byte> hex, Span<ulong> words)
    {
        ulong any = 0;
        for (var w = 0; w < PdqHash.WordCount; w++)
        {
            if (!TryParseHex(hex.Slice(w * 16, 16), out var word))
            {
                return false;
            }

            words[PdqHash.WordCount - 1 - w] = word;
            any |= word;
        }

        return any != 0;
    }

    private static bool TryParseHex(ReadOnlySpan<byte> hex, out ulong value)
    {
        value = 0;
        foreach (var c in hex)
        {
            var digit = HexDigit(c);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | (uint)digit;
        }

        return true;
    }
}
