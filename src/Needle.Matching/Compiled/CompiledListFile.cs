using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Text;
using Needle.Hashing;
using Needle.Matching.Index;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// A compiled list file (<c>.ndl</c>, written by <see cref="CompiledListWriter"/>) opened for matching: the file is
/// memory-mapped and searched where it lies, so opening costs the same at any size and the columns never enter the
/// managed heap; only the entries that match are built (their details read from the side section). Match through a
/// <see cref="ListMatcher"/> built with the file, which then gives the same matches as over the source lists.
/// </summary>
/// <remarks>
/// Checksums are verified lazily: opening checks the header, the section table (its checksum, and that every section
/// lies inside the file, so a truncated file is refused at once) and the small <c>lists</c> section; each column
/// section is verified whole (XxHash3, streaming) the first time a match needs it; the <c>details</c> section is
/// verified per 64 KiB block when a record in that block is first read. <see cref="VerifyAll"/> checks everything
/// up front. A damaged file is refused with a <see cref="CompiledListFormatException"/> naming the file and section.
/// Thread-safe for matching; dispose only when no match is running.
/// </remarks>
public sealed unsafe class CompiledListFile : IDisposable
{
    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _length;
    private readonly Section[] _sections;
    private readonly Dictionary<string, int> _sectionIndex = new(StringComparer.Ordinal);
    private readonly ListInfo[] _lists;
    private readonly TypeColumns?[] _types = new TypeColumns?[CompiledListLayout.Types.Count];
    private readonly int _details;
    private readonly ulong* _detailSums;
    private readonly int[] _detailBlockVerified;
    private bool _disposed;

    private CompiledListFile(string path, HashListKind? kind)
    {
        Path = path;
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
        _length = stream.Length;
        Span<byte> magic = stackalloc byte[8];
        if (stream.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) < magic.Length || !magic.SequenceEqual(CompiledListLayout.Magic))
        {
            throw Refuse("header", "it does not start with 'NEEDLNDL' (not a compiled Needle list)");
        }

        if (_length < CompiledListLayout.HeaderBytes)
        {
            throw Refuse("header", $"the file is {_length} bytes, shorter than the {CompiledListLayout.HeaderBytes}-byte header (truncated)");
        }

        _map = MemoryMappedFile.CreateFromFile(stream, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
        try
        {
            _view = _map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* pointer = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            _base = pointer + _view.PointerOffset;
            var header = new ReadOnlySpan<byte>(_base, CompiledListLayout.TableChecksumOffset + sizeof(ulong));
            if (BinaryPrimitives.ReadUInt64LittleEndian(header[CompiledListLayout.TableChecksumOffset..]) != XxHash3.HashToUInt64(header[..CompiledListLayout.TableChecksumOffset]))
            {
                throw Refuse("header", "the header checksum does not match (the header or section table is damaged)");
            }

            var version = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            if (version != CompiledListLayout.Version)
            {
                throw Refuse("header", $"it has format version {version}; this build reads version {CompiledListLayout.Version}");
            }

            var count = BinaryPrimitives.ReadInt32LittleEndian(header[12..]);
            var declared = BinaryPrimitives.ReadInt64LittleEndian(header[16..]);
            if (count is < 0 or > CompiledListLayout.MaxSections)
            {
                throw Refuse("header", $"it declares {count} sections");
            }

            _sections = new Section[count];
            for (var i = 0; i < count; i++)
            {
                var row = header.Slice(CompiledListLayout.FixedHeaderBytes + (i * CompiledListLayout.SectionRowBytes), CompiledListLayout.SectionRowBytes);
                var name = Encoding.ASCII.GetString(row[..CompiledListLayout.SectionNameBytes]).TrimEnd('\0');
                var section = new Section(name, BinaryPrimitives.ReadInt64LittleEndian(row[16..]), BinaryPrimitives.ReadInt64LittleEndian(row[24..]), BinaryPrimitives.ReadUInt64LittleEndian(row[32..]));
                if (section.Offset < CompiledListLayout.HeaderBytes || section.Length < 0 || section.Offset + section.Length > _length)
                {
                    throw Refuse(name, $"it spans bytes {section.Offset}..{section.Offset + section.Length} but the file is {_length} bytes (truncated)");
                }

                _sections[i] = section;
                _sectionIndex[name] = i;
            }

            if (declared != _length)
            {
                throw Refuse("header", $"the file is {_length} bytes but was written as {declared} ({(_length < declared ? "truncated" : "trailing bytes")})");
            }

            var lists = Require("lists");
            VerifySection(lists);
            _lists = ReadLists(lists, kind);
            _details = Require("details");
            var sums = Require("details.sums");
            VerifySection(sums);
            var blocks = (_sections[_details].Length + CompiledListLayout.DetailBlockBytes - 1) / CompiledListLayout.DetailBlockBytes;
            if (_sections[sums].Length != blocks * sizeof(ulong))
            {
                throw Refuse("details.sums", $"it holds {_sections[sums].Length} bytes; {blocks} block sums take {blocks * sizeof(ulong)}");
            }

            _detailSums = (ulong*)(_base + _sections[sums].Offset);
            _detailBlockVerified = new int[blocks];
            for (var type = 0; type < _types.Length; type++)
            {
                _types[type] = ReadType(type);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The file's path, as given.</summary>
    public string Path { get; }

    /// <summary>The lists compiled into the file, in file order.</summary>
    public IReadOnlyList<CompiledListInfo> Lists => [.. _lists.Select(l => new CompiledListInfo(l.Name, l.Kind, l.EntryCount))];

    /// <summary>Entries in the file, over all lists and signal types.</summary>
    public long EntryCount
    {
        get
        {
            long total = 0;
            foreach (var list in _lists)
            {
                total += list.EntryCount;
            }

            return total;
        }
    }

    /// <summary>Opens a compiled list; <paramref name="kind"/>, when given, replaces the kind stored for every list in it.</summary>
    /// <exception cref="CompiledListFormatException">Not a compiled list, of another version, truncated, or its header or lists section damaged.</exception>
    public static CompiledListFile Open(string path, HashListKind? kind = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new CompiledListFile(path, kind);
    }

    /// <summary>Whether <paramref name="path"/> is a file that starts as a compiled list does (its first 8 bytes).</summary>
    public static bool HasCompiledHeader(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            Span<byte> magic = stackalloc byte[8];
            return stream.ReadAtLeast(magic, 8, throwOnEndOfStream: false) == 8 && magic.SequenceEqual(CompiledListLayout.Magic);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>Verifies every section's checksum now (one streaming pass over the file).</summary>
    /// <exception cref="CompiledListFormatException">A section is damaged.</exception>
    public void VerifyAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        for (var i = 0; i < _sections.Length; i++)
        {
            VerifySection(i);
        }
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_base is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _view?.Dispose();
        _map?.Dispose();
    }

    /// <summary>
    /// Adds the matches of <paramref name="signals"/> as <see cref="ListMatcher"/> finds them over the source lists:
    /// within each list's threshold (or the override), enabled entries only, the best dihedral transform per entry.
    /// </summary>
    internal void Collect(FileSignals signals, bool pdqUsable, ListMatcherOptions options, ref List<ListMatch>? known, ref List<ListMatch>? allowed)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var hits = new List<(int Slot, double Distance, DihedralTransform Transform)>();
        for (var type = 0; type < _types.Length; type++)
        {
            if (_types[type] is not { } columns)
            {
                continue;
            }

            var signalType = CompiledListLayout.Types[type];
            if (!pdqUsable && signalType.Comparison == SignalComparison.Hamming)
            {
                continue;
            }

            double? overrideThreshold = type == 0 ? options.PdqThresholdOverride : type == 4 ? options.PhotoDnaThresholdOverride : null;
            var maxDistance = overrideThreshold ?? MaxThreshold(type);
            hits.Clear();
            if (type == 0)
            {
                if (signals.PdqDihedral is null && signals.Pdq is null)
                {
                    continue;
                }

                EnsureVerified(columns);
                MatchPdq(columns, signals, (int)Math.Floor(maxDistance), hits);
            }
            else if (type == 4)
            {
                if (signals.PhotoDna is null)
                {
                    continue;
                }

                EnsureVerified(columns);
                MatchPhotoDna(columns, signals.PhotoDna, maxDistance, hits);
            }
            else
            {
                var query = type switch { 1 => signals.Md5, 2 => signals.Sha1, _ => signals.Sha256 };
                if (query is null)
                {
                    continue;
                }

                EnsureVerified(columns);
                MatchExact(columns, query, hits);
            }

            foreach (var (slot, distance, transform) in hits)
            {
                var list = _lists[columns.Lists[slot]];
                if (distance > (overrideThreshold ?? list.Thresholds[type]))
                {
                    continue;
                }

                var entry = BuildEntry(columns, signalType, slot);
                var match = new ListMatch(list.Name, list.Kind, entry, signalType, entry.Value, distance, transform);
                if (list.Kind == HashListKind.Allow)
                {
                    (allowed ??= []).Add(match);
                }
                else
                {
                    (known ??= []).Add(match);
                }
            }
        }
    }

    private double MaxThreshold(int type)
    {
        var max = 0.0;
        foreach (var list in _lists)
        {
            max = Math.Max(max, list.Thresholds[type]);
        }

        return max;
    }

    private static void MatchPdq(TypeColumns columns, FileSignals signals, int radius, List<(int Slot, double Distance, DihedralTransform Transform)> hits)
    {
        radius = Math.Min(radius, PdqHash.Bits);
        var found = new List<HammingHit>();
        if (signals.PdqDihedral is not { } dihedral)
        {
            SearchPdq(columns, signals.Pdq!.Value, radius, found);
            foreach (var hit in found)
            {
                hits.Add((hit.EntryId, hit.Distance, DihedralTransform.Original));
            }

            return;
        }

        // As the in-memory matcher: per entry the smallest distance, ties to the lower transform.
        var best = new Dictionary<int, (int Distance, DihedralTransform Transform)>();
        for (var t = 0; t < dihedral.Count; t++)
        {
            found.Clear();
            SearchPdq(columns, dihedral[t], radius, found);
            foreach (var hit in found)
            {
                if (!best.TryGetValue(hit.EntryId, out var current) || hit.Distance < current.Distance)
                {
                    best[hit.EntryId] = (hit.Distance, (DihedralTransform)t);
                }
            }
        }

        foreach (var (slot, value) in best)
        {
            hits.Add((slot, value.Distance, value.Transform));
        }
    }

    /// <summary>Enabled slots within <paramref name="radius"/> of <paramref name="query"/>: multi-index probes, or a scan when cheaper.</summary>
    private static void SearchPdq(TypeColumns columns, PdqHash query, int radius, List<HammingHit> results)
    {
        var words = columns.Values;
        var n = columns.Count;
        if (columns.Layout is { } layout)
        {
            Span<int> radii = stackalloc int[layout.Count];
            layout.PlanRadii(radius, radii);
            if (layout.EstimateCost(radii, n) < SubstringLayout.ScanCost(n))
            {
                SearchTables(columns, layout, query, radius, radii, results);
                return;
            }
        }

        for (var slot = 0; slot < n; slot++)
        {
            var distance = HammingKernel.Distance(ref Unsafe.AsRef<ulong>((ulong*)words + ((long)slot * PdqHash.WordCount)), query);
            if (distance <= radius && columns.IsEnabled(slot))
            {
                results.Add(new HammingHit(slot, distance));
            }
        }
    }

    /// <summary>
    /// Multi-index hashing over the mapped tables: substring i is probed within radii[i]; a hit found through substring
    /// i is skipped when an earlier substring is within its radius too (that probe already reported it).
    /// </summary>
    private static void SearchTables(TypeColumns columns, SubstringLayout layout, PdqHash query, int radius, ReadOnlySpan<int> radii, List<HammingHit> results)
    {
        Span<ulong> queryWords = stackalloc ulong[PdqHash.WordCount];
        query.CopyTo(queryWords);
        Span<uint> queryKeys = stackalloc uint[layout.Count];
        for (var i = 0; i < layout.Count; i++)
        {
            queryKeys[i] = SubstringLayout.Extract(ref queryWords[0], layout.Offsets[i], layout.Widths[i]);
        }

        var words = (ulong*)columns.Values;
        Span<uint> keys = stackalloc uint[256];
        for (var i = 0; i < layout.Count; i++)
        {
            var width = layout.Widths[i];
            var substringRadius = Math.Min(radii[i], width);
            if (substringRadius < 0)
            {
                continue;
            }

            var starts = columns.Starts![i];
            var slots = columns.Slots![i];
            var ball = new MultiIndexTables.BallEnumerator(queryKeys[i], width, substringRadius);
            int keyCount;
            while ((keyCount = ball.Fill(keys)) > 0)
            {
                for (var k = 0; k < keyCount; k++)
                {
                    var end = starts[keys[k] + 1];
                    for (var j = starts[keys[k]]; j < end; j++)
                    {
                        var slot = slots[j];
                        ref var entry = ref Unsafe.AsRef<ulong>(words + ((long)slot * PdqHash.WordCount));
                        var distance = HammingKernel.Distance(ref entry, query);
                        if (distance <= radius && columns.IsEnabled(slot) && !FoundEarlier(ref entry, layout, queryKeys, radii, i))
                        {
                            results.Add(new HammingHit(slot, distance));
                        }
                    }
                }
            }
        }
    }

    private static bool FoundEarlier(ref ulong entry, SubstringLayout layout, ReadOnlySpan<uint> queryKeys, ReadOnlySpan<int> radii, int substring)
    {
        for (var j = 0; j < substring; j++)
        {
            if (radii[j] >= 0 &&
                System.Numerics.BitOperations.PopCount(SubstringLayout.Extract(ref entry, layout.Offsets[j], layout.Widths[j]) ^ queryKeys[j]) <= radii[j])
            {
                return true;
            }
        }

        return false;
    }

    private static void MatchExact(TypeColumns columns, string query, List<(int Slot, double Distance, DihedralTransform Transform)> hits)
    {
        var text = query.AsSpan().Trim();
        var width = columns.Width;
        if (text.Length != width * 2 || !HexKeys.IsHex(text))
        {
            return;
        }

        Span<byte> key = stackalloc byte[width];
        if (Convert.FromHexString(text, key, out _, out var written) != System.Buffers.OperationStatus.Done || written != width)
        {
            return;
        }

        // Lower bound of the key in the sorted values, then every equal value.
        int low = 0, high = columns.Count;
        while (low < high)
        {
            var mid = (int)(((uint)low + (uint)high) >> 1);
            if (columns.Value(mid).SequenceCompareTo(key) < 0)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        for (var slot = low; slot < columns.Count && columns.Value(slot).SequenceEqual(key); slot++)
        {
            if (columns.IsEnabled(slot))
            {
                hits.Add((slot, 0, DihedralTransform.Original));
            }
        }
    }

    private static void MatchPhotoDna(TypeColumns columns, byte[] query, double maxDistance, List<(int Slot, double Distance, DihedralTransform Transform)> hits)
    {
        if (query.Length != columns.Width)
        {
            throw new ArgumentException($"A PhotoDNA vector is {columns.Width} bytes; got {query.Length}.", nameof(query));
        }

        var limit = (int)Math.Min(int.MaxValue, Math.Floor(maxDistance * maxDistance));
        for (var slot = 0; slot < columns.Count; slot++)
        {
            if (!columns.IsEnabled(slot))
            {
                continue;
            }

            var squared = PhotoDnaDistance.SquaredDistance(query, columns.Value(slot), limit);
            if (squared <= limit)
            {
                hits.Add((slot, Math.Sqrt(squared), DihedralTransform.Original));
            }
        }
    }

    private HashListEntry BuildEntry(TypeColumns columns, SignalType type, int slot)
    {
        var value = columns.Type == 0
            ? PdqHash.FromWords(new ReadOnlySpan<ulong>((ulong*)columns.Values + ((long)slot * PdqHash.WordCount), PdqHash.WordCount)).ToString()
            : type.DecodeValue(columns.Value(slot));
        var id = columns.Ids[slot];
        var offset = columns.DetailOffsets[slot];
        if (offset == CompiledListLayout.NoDetails)
        {
            return HashListEntry.Trusted(type, value, id, true, null, null, null);
        }

        var details = _sections[_details];
        if (offset < 0 || offset >= details.Length)
        {
            throw Refuse(columns.Name + ".details", $"entry {id} points at byte {offset} of 'details', which holds {details.Length}");
        }

        var available = new ReadOnlySpan<byte>(_base + details.Offset + offset, (int)Math.Min(int.MaxValue, details.Length - offset));
        if (!CompiledDetailCodec.TryReadLength(available, out var length, out var prefix) || prefix + length > available.Length)
        {
            VerifyDetailBlocks(offset, Math.Min(available.Length, 16));
            throw Refuse("details", $"the record of entry {id} at byte {offset} is malformed");
        }

        VerifyDetailBlocks(offset, prefix + length);
        try
        {
            return CompiledDetailCodec.Decode(available.Slice(prefix, length), type, value, id);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException)
        {
            throw Refuse("details", $"the record of entry {id} at byte {offset} is malformed");
        }
    }

    private void VerifyDetailBlocks(long offset, long length)
    {
        var details = _sections[_details];
        var first = offset / CompiledListLayout.DetailBlockBytes;
        var last = (offset + Math.Max(1, length) - 1) / CompiledListLayout.DetailBlockBytes;
        for (var block = first; block <= last && block < _detailBlockVerified.Length; block++)
        {
            if (Volatile.Read(ref _detailBlockVerified[block]) != 0)
            {
                continue;
            }

            var start = block * CompiledListLayout.DetailBlockBytes;
            var size = (int)Math.Min(CompiledListLayout.DetailBlockBytes, details.Length - start);
            if (XxHash3.HashToUInt64(new ReadOnlySpan<byte>(_base + details.Offset + start, size)) != _detailSums[block])
            {
                throw Refuse("details", $"the checksum of block {block} (bytes {start}..{start + size}) does not match (the file is damaged)");
            }

            Volatile.Write(ref _detailBlockVerified[block], 1);
        }
    }

    private void EnsureVerified(TypeColumns columns)
    {
        if (columns.Verified)
        {
            return;
        }

        foreach (var section in columns.Sections)
        {
            VerifySection(section);
        }

        columns.Verified = true;
    }

    private void VerifySection(int index)
    {
        var section = _sections[index];
        if (section.Verified)
        {
            return;
        }

        var hash = new XxHash3();
        for (long done = 0; done < section.Length; done += 1 << 30)
        {
            hash.Append(new ReadOnlySpan<byte>(_base + section.Offset + done, (int)Math.Min(1 << 30, section.Length - done)));
        }

        if (hash.GetCurrentHashAsUInt64() != section.Checksum)
        {
            throw Refuse(section.Name, "its checksum does not match (the file is damaged)");
        }

        section.Verified = true;
    }

    private int Require(string name) =>
        _sectionIndex.TryGetValue(name, out var index) ? index : throw Refuse(name, "the section is missing");

    private ListInfo[] ReadLists(int index, HashListKind? kind)
    {
        var section = _sections[index];
        try
        {
            using var stream = new UnmanagedMemoryStream(_base + section.Offset, section.Length);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            var count = reader.ReadInt32();
            if (count is < 0 or > ushort.MaxValue)
            {
                throw Refuse("lists", $"it declares {count} lists");
            }

            var lists = new ListInfo[count];
            for (var i = 0; i < count; i++)
            {
                var name = reader.ReadString();
                var storedKind = (HashListKind)reader.ReadByte();
                var thresholds = new double[CompiledListLayout.Types.Count];
                for (var t = 0; t < thresholds.Length; t++)
                {
                    thresholds[t] = reader.ReadDouble();
                }

                lists[i] = new ListInfo(name, kind ?? storedKind, thresholds, reader.ReadInt64());
            }

            return lists;
        }
        catch (EndOfStreamException)
        {
            throw Refuse("lists", "it ends inside a list record");
        }
    }

    private TypeColumns? ReadType(int type)
    {
        var name = CompiledListLayout.Types[type].Name;
        if (!_sectionIndex.TryGetValue(name + ".values", out var values))
        {
            return null;
        }

        var width = CompiledListLayout.Width(type);
        var count = _sections[values].Length / width;
        if (_sections[values].Length % width != 0 || count > int.MaxValue)
        {
            throw Refuse(name + ".values", $"its {_sections[values].Length} bytes are not a whole number of {width}-byte values");
        }

        var n = (int)count;
        var ids = Sized(name + ".ids", 4L * n);
        var lists = Sized(name + ".lists", 2L * n);
        var enabled = Sized(name + ".enabled", 8L * CompiledListLayout.BitmapWords(n));
        var details = Sized(name + ".details", 8L * n);
        var columns = new TypeColumns(type, name, width, n, _base + _sections[values].Offset)
        {
            Ids = (int*)(_base + _sections[ids].Offset),
            Lists = (ushort*)(_base + _sections[lists].Offset),
            Enabled = (ulong*)(_base + _sections[enabled].Offset),
            DetailOffsets = (long*)(_base + _sections[details].Offset),
            Sections = [values, ids, lists, enabled, details],
        };
        if (type == 0 && _sectionIndex.TryGetValue("pdq.mih", out var mih))
        {
            var section = _sections[mih];
            var m = section.Length >= 8 ? BinaryPrimitives.ReadInt32LittleEndian(new ReadOnlySpan<byte>(_base + section.Offset, 4)) : 0;
            if (m < 1 || PdqHash.Bits / m > SubstringLayout.MaxWidth || m > PdqHash.Bits)
            {
                throw Refuse("pdq.mih", $"it declares {m} substrings");
            }

            var layout = new SubstringLayout(m);
            long expected = 8;
            foreach (var w in layout.Widths)
            {
                expected += (((1L << w) + 1) * 4) + (4L * n);
            }

            if (section.Length != expected)
            {
                throw Refuse("pdq.mih", $"it holds {section.Length} bytes; {m} substring tables over {n} entries take {expected}");
            }

            columns.Layout = layout;
            columns.Starts = new uint*[m];
            columns.Slots = new int*[m];
            var at = _base + section.Offset + 8;
            for (var i = 0; i < m; i++)
            {
                columns.Starts[i] = (uint*)at;
                at += ((1L << layout.Widths[i]) + 1) * 4;
                columns.Slots[i] = (int*)at;
                at += 4L * n;
            }

            columns.Sections = [.. columns.Sections, mih];
        }

        return columns;
    }

    private int Sized(string name, long expected)
    {
        var index = Require(name);
        if (_sections[index].Length != expected)
        {
            throw Refuse(name, $"it holds {_sections[index].Length} bytes; its column takes {expected}");
        }

        return index;
    }

    private CompiledListFormatException Refuse(string section, string problem) => new(Path, section, problem);

    private sealed record ListInfo(string Name, HashListKind Kind, double[] Thresholds, long EntryCount);

    private sealed class Section(string name, long offset, long length, ulong checksum)
    {
        public string Name { get; } = name;

        public long Offset { get; } = offset;

        public long Length { get; } = length;

        public ulong Checksum { get; } = checksum;

        public volatile bool Verified;
    }

    /// <summary>The mapped columns of one signal type.</summary>
    private sealed class TypeColumns(int type, string name, int width, int count, byte* values)
    {
        public int Type { get; } = type;

        public string Name { get; } = name;

        public int Width { get; } = width;

        public int Count { get; } = count;

        public byte* Values { get; } = values;

        public int* Ids { get; init; }

        public ushort* Lists { get; init; }

        public ulong* Enabled { get; init; }

        public long* DetailOffsets { get; init; }

        public int[] Sections { get; set; } = [];

        public SubstringLayout? Layout { get; set; }

        public uint*[]? Starts { get; set; }

        public int*[]? Slots { get; set; }

        public volatile bool Verified;

        public bool IsEnabled(int slot) => (Enabled[slot >> 6] & (1UL << slot)) != 0;

        public ReadOnlySpan<byte> Value(int slot) => new(Values + ((long)slot * Width), Width);
    }
}
