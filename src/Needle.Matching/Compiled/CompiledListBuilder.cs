using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Needle.Hashing;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// Builds a compiled list file (<c>.ndl</c>, the layout <see cref="CompiledListWriter"/> writes) while the source lists
/// are read, without ever holding them: each entry becomes a row of compact columns (the value's bytes, id, list
/// number, enabled bit and the offset of its details record) and its details go straight to a temporary side file.
/// Memory is about 50 bytes per entry while building, whatever the labels and metadata hold.
/// </summary>
/// <remarks>
/// Lists are added one at a time (<see cref="TryAddFile"/>); a list that cannot be compiled (vPDQ or robust entries,
/// a repeated explicit id) is rolled back whole and reported as such, so the caller can fall back to loading it.
/// Comma-separated <c>hash,quality,path</c> lists and Needle's native lists are parsed in parallel straight from the
/// memory-mapped file; other formats stream through their usual reader. Not thread-safe.
/// </remarks>
public sealed class CompiledListBuilder : IDisposable
{
    private const int MaxLists = ushort.MaxValue;

    private readonly Column[] _columns = new Column[CompiledListLayout.Types.Count];
    private readonly List<ListRow> _lists = [];
    private readonly FileStream _details;
    private readonly string _detailPath;
    private readonly ArrayBufferWriter<byte> _body = new(256);
    private readonly ArrayBufferWriter<byte> _record = new(256);
    private ulong[] _seenIds = new ulong[1024];
    private int _nextId;
    private bool _cannotCompile;
    private bool _disposed;

    /// <summary>A builder whose details side file is created in <paramref name="tempDirectory"/> (deleted on dispose).</summary>
    public CompiledListBuilder(string tempDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(tempDirectory);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Compiled lists are written on little-endian machines only.");
        }

        for (var type = 0; type < _columns.Length; type++)
        {
            _columns[type] = new Column(CompiledListLayout.Width(type));
        }

        _detailPath = Path.Combine(tempDirectory, $".needle-details.{Guid.NewGuid():N}.tmp");
        _details = new FileStream(_detailPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose);
    }

    /// <summary>Bytes of a csv file each parallel span covers (tests make it small to get many spans).</summary>
    internal int CsvSpanBytes { get; init; } = CsvSpanReader.SpanBytes;

    /// <summary>Bytes of a native list each parallel span covers (tests make it small to get many spans).</summary>
    internal int NeedleSpanBytes { get; init; } = NeedleSpanReader.SpanBytes;

    /// <summary>False reads every file through its format's ordinary reader (tests compare the two ways).</summary>
    internal bool SpanReaders { get; init; } = true;

    /// <summary>Whether the last native list added was read by the parallel span reader (tests check it did).</summary>
    internal bool LastReadInParallel { get; private set; }

    /// <summary>Of the last native list read in parallel, the rows written straight from their line's bytes, without an entry.</summary>
    internal long LastDirectRows { get; private set; }

    /// <summary>Lists added so far.</summary>
    public int ListCount => _lists.Count;

    /// <summary>Entries added so far, over all lists.</summary>
    public long EntryCount
    {
        get
        {
            long total = 0;
            foreach (var column in _columns)
            {
                total += column.Count;
            }

            return total;
        }
    }

    /// <summary>
    /// Reads the list file at <paramref name="path"/> (format <paramref name="formatName"/>, or detected) into the
    /// builder as one list. The result's <see cref="ImportResult.List"/> carries the list's name, kind and thresholds
    /// but no entries. Null when the list cannot be compiled (it holds vPDQ or robust entries, or repeats an explicit
    /// id): nothing of it is kept, and the caller can load it the ordinary way, which reports any problem as usual.
    /// </summary>
    /// <exception cref="HashListFormatException">The file is malformed (as the format's reader reports it).</exception>
    public ImportResult? TryAddFile(string path, ImportOptions options, string? formatName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(options);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lists.Count == MaxLists)
        {
            throw new ArgumentException($"A compiled list holds at most {MaxLists} lists.", nameof(path));
        }

        options = options with { FileName = options.FileName ?? path };
        var checkpoint = Checkpoint();
        var number = (ushort)_lists.Count;
        _nextId = 1;
        Array.Clear(_seenIds);
        try
        {
            var format = SpanReaders ? SpanFormat(path, formatName) : null;
            if (format == "needle")
            {
                LastReadInParallel = false;
                if (NeedleSpanReader.TryRead(path, options, this, number, out var directRows, NeedleSpanBytes) is { } read)
                {
                    AddListRow(read.List);
                    LastReadInParallel = true;
                    LastDirectRows = directRows;
                    return read;
                }

                // A line the fast reader does not take as it is (or a vPDQ entry, a repeated id): the native reader
                // reads the file again, and reports any problem (or leniency) the way it always does.
                Rollback(checkpoint);
                _nextId = 1;
                Array.Clear(_seenIds);
            }

            if (format == "csv")
            {
                var source = options.FileName is { } file ? Path.GetFileName(file) : null;
                if (CsvSpanReader.TryRead(path, source, options.MaxLineLength, this, number, CsvSpanBytes) is { } records)
                {
                    var name = options.ListName ?? Path.GetFileNameWithoutExtension(options.FileName);
                    var list = new HashList(string.IsNullOrWhiteSpace(name) ? "list" : name, options.Kind ?? HashListKind.Known);
                    AddListRow(list);
                    return new ImportResult("csv", list, [], records, 0);
                }

                // Something the fast reader does not take as is (quotes, odd spacing, a bad line): the ordinary reader
                // reads the file again, and reports any problem the way it always does.
                Rollback(checkpoint);
                _nextId = 1;
                Array.Clear(_seenIds);
            }

            _cannotCompile = false;
            var result = HashListFormats.Default.ReadFile(path, options with { EntrySink = (_, entry) => Add(entry, number) }, formatName);
            if (_cannotCompile)
            {
                Rollback(checkpoint);
                return null;
            }

            AddListRow(result.List);
            return result;
        }
        catch
        {
            Rollback(checkpoint);
            throw;
        }
    }

    /// <summary>
    /// Adds a list already loaded, as one list; false (nothing kept) when it holds entries a compiled list cannot hold
    /// (vPDQ, robust).
    /// </summary>
    public bool TryAddList(HashList list)
    {
        ArgumentNullException.ThrowIfNull(list);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_lists.Count == MaxLists)
        {
            throw new ArgumentException($"A compiled list holds at most {MaxLists} lists.", nameof(list));
        }

        var checkpoint = Checkpoint();
        var number = (ushort)_lists.Count;
        _nextId = 1;
        Array.Clear(_seenIds);
        _cannotCompile = false;
        foreach (var type in SignalTypes.All)
        {
            foreach (var entry in list.EntriesOf(type))
            {
                Add(entry, number);
            }
        }

        if (_cannotCompile)
        {
            Rollback(checkpoint);
            return false;
        }

        AddListRow(list);
        return true;
    }

    /// <summary>
    /// Writes the compiled list to <paramref name="path"/> (through a temporary file in its folder, renamed into place,
    /// flushed to disk first), freeing the columns as it goes: the builder holds nothing afterwards.
    /// </summary>
    public void Write(string path) => Write(path, flushToDisk: true);

    /// <summary>
    /// As <see cref="Write(string)"/>; with <paramref name="flushToDisk"/> false the file is not forced to disk
    /// before it is renamed (a scratch file that lives only as long as the process that reads it).
    /// </summary>
    public void Write(string path, bool flushToDisk)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var fullPath = Path.GetFullPath(path);
        var tempPath = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            {
                var writer = new CompiledSectionWriter(file);
                writer.WriteZeros(CompiledListLayout.HeaderBytes);
                for (var type = 0; type < _columns.Length; type++)
                {
                    if (_columns[type].Count > 0)
                    {
                        WriteType(writer, type);
                    }

                    _columns[type] = new Column(CompiledListLayout.Width(type));
                }

                writer.Add("lists", ListsSection());
                _details.Flush();
                _details.Position = 0;
                writer.CopySection("details", _details, out var blockSums);
                writer.Add("details.sums", MemoryMarshal.AsBytes(blockSums.AsSpan()));
                writer.WriteHeader();
                file.Flush(flushToDisk);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    /// <summary>Deletes the details side file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _details.Dispose();
    }

    /// <summary>Makes room for <paramref name="count"/> more PDQ rows at once (a reader that can tell how many are coming saves the growth copies).</summary>
    internal void ReservePdq(long count) => Reserve(0, count);

    /// <summary>Makes room for <paramref name="count"/> more rows of type number <paramref name="type"/> at once.</summary>
    internal void Reserve(int type, long count)
    {
        var column = _columns[type];
        column.Resize((int)Math.Min(Array.MaxLength / column.Words, column.Count + Math.Max(0, count)));
    }

    /// <summary>Appends a block of PDQ rows parsed elsewhere: ids are given in order, details are relative to <paramref name="details"/>.</summary>
    internal void AppendPdqBlock(ushort list, ReadOnlySpan<ulong> words, ReadOnlySpan<long> detailOffsets, ReadOnlySpan<byte> details)
    {
        var n = detailOffsets.Length;
        var column = _columns[0];
        column.Ensure(n);
        words[..(n * PdqHash.WordCount)].CopyTo(column.Values.AsSpan(column.Count * PdqHash.WordCount));
        var baseOffset = _details.Position;
        for (var i = 0; i < n; i++)
        {
            var row = column.Count + i;
            var id = _nextId++;
            MarkId(id);
            column.Ids[row] = id;
            column.Lists[row] = list;
            column.Enabled[row] = 1;
            column.Details[row] = detailOffsets[i] < 0 ? CompiledListLayout.NoDetails : baseOffset + detailOffsets[i];
        }

        column.Count += n;
        _details.Write(details);
    }

    /// <summary>
    /// Appends rows parsed elsewhere, in order: type numbers, ids (0: the next one), enabled flags, the values' words
    /// back to back, details offsets relative to <paramref name="details"/>. False at a repeated id (the rows appended
    /// so far stay: the caller rolls the list back).
    /// </summary>
    internal bool AppendRows(
        ushort list, ReadOnlySpan<byte> types, ReadOnlySpan<int> ids, ReadOnlySpan<byte> enabled, ReadOnlySpan<ulong> values, ReadOnlySpan<long> detailOffsets, ReadOnlySpan<byte> details)
    {
        var baseOffset = _details.Position;
        var word = 0;
        for (var i = 0; i < types.Length; i++)
        {
            var column = _columns[types[i]];
            column.Ensure(1);
            var row = column.Count;
            values.Slice(word, column.Words).CopyTo(column.Values.AsSpan(row * column.Words, column.Words));
            word += column.Words;

            // The ids Add gives (an explicit one kept, else the next); a repeat is the native reader's to handle.
            var id = ids[i];
            if (id == 0)
            {
                id = _nextId;
            }
            else if (id < 0 || IsSeen(id))
            {
                return false;
            }

            _nextId = Math.Max(_nextId, id + 1);
            MarkId(id);
            column.Ids[row] = id;
            column.Lists[row] = list;
            column.Enabled[row] = enabled[i];
            column.Details[row] = detailOffsets[i] < 0 ? CompiledListLayout.NoDetails : baseOffset + detailOffsets[i];
            column.Count++;
        }

        _details.Write(details);
        return true;
    }

    private void Add(HashListEntry entry, ushort list)
    {
        if (_cannotCompile)
        {
            return;
        }

        var type = -1;
        for (var t = 0; t < CompiledListLayout.Types.Count; t++)
        {
            if (CompiledListLayout.Types[t] == entry.SignalType)
            {
                type = t;
            }
        }

        if (type < 0)
        {
            _cannotCompile = true;
            return;
        }

        // Ids as the list itself gives them: the next one unless the file names it; a repeat is the reader's error.
        var id = entry.Id;
        if (id == 0)
        {
            id = _nextId;
        }
        else if (id < 0 || IsSeen(id))
        {
            _cannotCompile = true;
            return;
        }

        _nextId = Math.Max(_nextId, id + 1);
        MarkId(id);
        var column = _columns[type];
        column.Ensure(1);
        var row = column.Count;
        var words = column.Values.AsSpan(row * column.Words, column.Words);
        if (type == 0)
        {
            PdqHash.Parse(entry.Value).CopyTo(words);
        }
        else
        {
            entry.SignalType.EncodeValue(entry.Value, MemoryMarshal.AsBytes(words)[..column.Width]);
        }

        column.Ids[row] = id;
        column.Lists[row] = list;
        column.Enabled[row] = entry.Enabled ? (byte)1 : (byte)0;
        _record.ResetWrittenCount();
        if (CompiledDetailCodec.TryEncode(entry, _body, _record))
        {
            column.Details[row] = _details.Position;
            _details.Write(_record.WrittenSpan);
        }
        else
        {
            column.Details[row] = CompiledListLayout.NoDetails;
        }

        column.Count++;
    }

    private bool IsSeen(int id) => (id >> 6) < _seenIds.Length && (_seenIds[id >> 6] & (1UL << id)) != 0;

    private void MarkId(int id)
    {
        if ((id >> 6) >= _seenIds.Length)
        {
            Array.Resize(ref _seenIds, Math.Max((id >> 6) + 1, _seenIds.Length * 2));
        }

        _seenIds[id >> 6] |= 1UL << id;
    }

    private void AddListRow(HashList list)
    {
        var counts = 0L;
        foreach (var column in _columns)
        {
            for (var row = column.Count - 1; row >= 0 && column.Lists[row] == _lists.Count; row--)
            {
                counts++;
            }
        }

        var thresholds = new double[CompiledListLayout.Types.Count];
        for (var type = 0; type < thresholds.Length; type++)
        {
            thresholds[type] = list.GetThreshold(CompiledListLayout.Types[type]);
        }

        _lists.Add(new ListRow(list.Name, list.Kind, thresholds, counts));
    }

    private (int[] Counts, long Details) Checkpoint() => ([.. _columns.Select(c => c.Count)], _details.Position);

    private void Rollback((int[] Counts, long Details) checkpoint)
    {
        for (var type = 0; type < _columns.Length; type++)
        {
            _columns[type].Count = checkpoint.Counts[type];
        }

        _details.SetLength(checkpoint.Details);
        _details.Position = checkpoint.Details;
    }

    /// <summary>The format the span readers would read the file as; null for a gzip file, which goes to the ordinary
    /// reader (it decompresses; the span readers map the file as it is).</summary>
    private static string? SpanFormat(string path, string? formatName)
    {
        var head = new byte[HashListFormats.DetectionHeadBytes];
        int read;
        using (var stream = File.OpenRead(path))
        {
            read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }

        return CompressedListFile.IsGzip(head.AsSpan(0, read)) ? null : formatName ?? HashListFormats.Default.Detect(head.AsSpan(0, read), path)?.Name;
    }

    private byte[] ListsSection()
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(_lists.Count);
            foreach (var list in _lists)
            {
                writer.Write(list.Name);
                writer.Write((byte)list.Kind);
                foreach (var threshold in list.Thresholds)
                {
                    writer.Write(threshold);
                }

                writer.Write(list.Count);
            }
        }

        return buffer.ToArray();
    }

    private void WriteType(CompiledSectionWriter writer, int type)
    {
        var column = _columns[type];
        var n = column.Count;
        var name = CompiledListLayout.Types[type].Name;
        if (type == 0)
        {
            var words = column.Values;
            var total = (long)n * PdqHash.WordCount;
            for (long word = 0; word < total; word += 1 << 24)
            {
                writer.Append(MemoryMarshal.AsBytes(words.AsSpan((int)word, (int)Math.Min(1 << 24, total - word))), word == 0 ? name + ".values" : null);
            }

            writer.End();
            WriteRows(writer, name, column, null);
            column.ReleaseRows();
            CompiledListWriter.WriteMultiIndex(writer, words, n);
            return;
        }

        // Exact types are sorted by value (a lookup is a binary search), equal values in list order; PhotoDNA keeps list order.
        int[]? order = null;
        if (CompiledListLayout.Types[type].Comparison == SignalComparison.Exact)
        {
            order = new int[n];
            for (var i = 0; i < n; i++)
            {
                order[i] = i;
            }

            order.AsSpan().Sort(new ValueOrder(column.Values, column.Words));
        }

        var width = column.Width;
        var chunk = new byte[width * 65536];
        var filled = 0;
        writer.Append([], name + ".values");
        for (var i = 0; i < n; i++)
        {
            var source = order is null ? i : order[i];
            MemoryMarshal.AsBytes(column.Values.AsSpan(source * column.Words, column.Words))[..width].CopyTo(chunk.AsSpan(filled));
            filled += width;
            if (filled == chunk.Length)
            {
                writer.Append(chunk, null);
                filled = 0;
            }
        }

        writer.Append(chunk.AsSpan(0, filled), null);
        writer.End();
        column.Values = [];
        WriteRows(writer, name, column, order);
    }

    private static void WriteRows(CompiledSectionWriter writer, string name, Column column, int[]? order)
    {
        var n = column.Count;
        var ids = Permute(column.Ids, order, n);
        writer.Add(name + ".ids", MemoryMarshal.AsBytes(ids));
        var lists = Permute(column.Lists, order, n);
        writer.Add(name + ".lists", MemoryMarshal.AsBytes(lists));
        var enabled = new ulong[CompiledListLayout.BitmapWords(n)];
        for (var i = 0; i < n; i++)
        {
            if (column.Enabled[order is null ? i : order[i]] != 0)
            {
                enabled[i >> 6] |= 1UL << i;
            }
        }

        writer.Add(name + ".enabled", MemoryMarshal.AsBytes(enabled.AsSpan()));
        var details = Permute(column.Details, order, n);
        writer.Add(name + ".details", MemoryMarshal.AsBytes(details));
    }

    private static Span<T> Permute<T>(T[] values, int[]? order, int n)
    {
        if (order is null)
        {
            return values.AsSpan(0, n);
        }

        var result = new T[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = values[order[i]];
        }

        return result;
    }

    private sealed record ListRow(string Name, HashListKind Kind, double[] Thresholds, long Count);

    /// <summary>Orders rows by their value's bytes (words hold the bytes little-endian, so byte order is the swapped word's order), then by row.</summary>
    private readonly struct ValueOrder(ulong[] values, int words) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            var a = x * words;
            var b = y * words;
            for (var w = 0; w < words; w++)
            {
                var left = BinaryPrimitives.ReverseEndianness(values[a + w]);
                var right = BinaryPrimitives.ReverseEndianness(values[b + w]);
                if (left != right)
                {
                    return left < right ? -1 : 1;
                }
            }

            return x.CompareTo(y);
        }
    }

    /// <summary>One signal type's rows while building; arrays grow by half again when full.</summary>
    private sealed class Column(int width)
    {
        public int Width { get; } = width;

        public int Words { get; } = (width + 7) / 8;

        public int Count { get; set; }

        public ulong[] Values { get; set; } = [];

        public int[] Ids { get; private set; } = [];

        public ushort[] Lists { get; private set; } = [];

        public byte[] Enabled { get; private set; } = [];

        public long[] Details { get; private set; } = [];

        public void Ensure(int extra)
        {
            var needed = (long)Count + extra;
            if (needed <= Ids.Length)
            {
                return;
            }

            var capacity = (int)Math.Min(Array.MaxLength / Words, Math.Max(needed, Math.Max(1024, Ids.Length + (Ids.Length / 2))));
            if (needed > capacity)
            {
                throw new InvalidOperationException("A compiled list holds at most 2^31 entries of one type.");
            }

            Resize(capacity);
        }

        /// <summary>Drops every column but the values (written already; the values are still needed for the index).</summary>
        public void ReleaseRows()
        {
            Ids = [];
            Lists = [];
            Enabled = [];
            Details = [];
        }

        public void Resize(int capacity)
        {
            if (capacity <= Ids.Length)
            {
                return;
            }

            var values = Values;
            Array.Resize(ref values, capacity * Words);
            Values = values;
            var ids = Ids;
            Array.Resize(ref ids, capacity);
            Ids = ids;
            var lists = Lists;
            Array.Resize(ref lists, capacity);
            Lists = lists;
            var enabled = Enabled;
            Array.Resize(ref enabled, capacity);
            Enabled = enabled;
            var details = Details;
            Array.Resize(ref details, capacity);
            Details = details;
        }
    }
}
