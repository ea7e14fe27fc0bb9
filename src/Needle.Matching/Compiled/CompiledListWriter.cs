using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Needle.Hashing;
using Needle.Matching.Index;
using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// Writes lists into one compiled list file (<c>.ndl</c>, see <see cref="CompiledListFile"/>): columns of values, ids,
/// list numbers and enabled bits per signal type, the PDQ multi-index tables, and the entries' details in a side
/// section. Written to a temporary file in the target's folder, flushed, then renamed over the target, so a reader
/// sees the old file or the new one, never a partial one.
/// </summary>
public static class CompiledListWriter
{
    private const int MaxLists = ushort.MaxValue;

    /// <summary>Compiles <paramref name="lists"/> (their names, kinds, thresholds and every entry) into <paramref name="path"/>.</summary>
    /// <exception cref="ArgumentException">A list holds entries of a type a compiled list cannot hold (vPDQ, robust), or there are too many lists.</exception>
    public static void Write(string path, IReadOnlyList<HashList> lists)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(lists);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("Compiled lists are written on little-endian machines only.");
        }

        if (lists.Count > MaxLists)
        {
            throw new ArgumentException($"A compiled list holds at most {MaxLists} lists; got {lists.Count}.", nameof(lists));
        }

        foreach (var list in lists)
        {
            foreach (var type in SignalTypes.All)
            {
                if (!CompiledListLayout.Types.Contains(type) && list.EntriesOf(type).Count > 0)
                {
                    throw new ArgumentException($"List '{list.Name}' holds {type.Name} entries; a compiled list holds pdq, md5, sha1, sha256 and photodna entries only.", nameof(lists));
                }
            }
        }

        var fullPath = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(fullPath)!;
        var tempPath = Path.Combine(directory, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        var detailPath = tempPath + ".details";
        try
        {
            using (var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20))
            using (var details = new FileStream(detailPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 20, FileOptions.DeleteOnClose))
            {
                var writer = new CompiledSectionWriter(file);
                writer.WriteZeros(CompiledListLayout.HeaderBytes);
                var counts = new long[lists.Count];
                for (var type = 0; type < CompiledListLayout.Types.Count; type++)
                {
                    WriteType(writer, lists, type, details, counts);
                }

                writer.Add("lists", ListsSection(lists, counts));

                details.Flush();
                details.Position = 0;
                writer.CopySection("details", details, out var blockSums);
                writer.Add("details.sums", MemoryMarshal.AsBytes(blockSums.AsSpan()));
                writer.WriteHeader();
                file.Flush(flushToDisk: true);
            }

            File.Move(tempPath, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(tempPath);
            throw;
        }
    }

    private static byte[] ListsSection(IReadOnlyList<HashList> lists, long[] counts)
    {
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(lists.Count);
            for (var l = 0; l < lists.Count; l++)
            {
                writer.Write(lists[l].Name);
                writer.Write((byte)lists[l].Kind);
                foreach (var type in CompiledListLayout.Types)
                {
                    writer.Write(lists[l].GetThreshold(type));
                }

                writer.Write(counts[l]);
            }
        }

        return buffer.ToArray();
    }

    private static void WriteType(CompiledSectionWriter writer, IReadOnlyList<HashList> lists, int type, FileStream details, long[] counts)
    {
        var signalType = CompiledListLayout.Types[type];
        var perList = new IReadOnlyList<HashListEntry>[lists.Count];
        var n = 0;
        for (var l = 0; l < lists.Count; l++)
        {
            perList[l] = lists[l].EntriesOf(signalType);
            n += perList[l].Count;
            counts[l] += perList[l].Count;
        }

        if (n == 0)
        {
            return;
        }

        var width = CompiledListLayout.Width(type);
        var entries = new HashListEntry[n];
        var listOf = new ushort[n];
        var at = 0;
        for (var l = 0; l < lists.Count; l++)
        {
            foreach (var entry in perList[l])
            {
                entries[at] = entry;
                listOf[at++] = (ushort)l;
            }
        }

        perList = null!;
        var name = signalType.Name;
        var ids = new int[n];
        var lists16 = new ushort[n];
        var enabled = new ulong[CompiledListLayout.BitmapWords(n)];
        var detailOffsets = new long[n];
        var body = new ArrayBufferWriter<byte>(256);
        var record = new ArrayBufferWriter<byte>(256);
        if (type == 0)
        {
            var words = new ulong[(long)n * PdqHash.WordCount];
            for (var i = 0; i < n; i++)
            {
                PdqHash.Parse(entries[i].Value).CopyTo(words.AsSpan(i * PdqHash.WordCount, PdqHash.WordCount));
            }

            FillRows(entries, listOf, null, ids, lists16, enabled, detailOffsets, details, body, record);
            for (long word = 0; word < words.LongLength; word += 1 << 24)
            {
                writer.Append(MemoryMarshal.AsBytes(words.AsSpan((int)word, (int)Math.Min(1 << 24, words.LongLength - word))), word == 0 ? name + ".values" : null);
            }

            writer.End();
            WriteRows(writer, name, ids, lists16, enabled, detailOffsets);
            WriteMultiIndex(writer, words, n);
            return;
        }

        var values = new byte[(long)n * width];
        for (var i = 0; i < n; i++)
        {
            signalType.EncodeValue(entries[i].Value, values.AsSpan(i * width, width));
        }

        // Exact types are sorted by value (a lookup is a binary search); PhotoDNA keeps list order.
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        if (signalType.Comparison == SignalComparison.Exact)
        {
            order.AsSpan().Sort((a, b) =>
            {
                var byValue = values.AsSpan(a * width, width).SequenceCompareTo(values.AsSpan(b * width, width));
                return byValue != 0 ? byValue : a.CompareTo(b);
            });
        }

        var sorted = new byte[values.LongLength];
        for (var i = 0; i < n; i++)
        {
            values.AsSpan(order[i] * width, width).CopyTo(sorted.AsSpan(i * width, width));
        }

        FillRows(entries, listOf, order, ids, lists16, enabled, detailOffsets, details, body, record);
        writer.Add(name + ".values", sorted);
        WriteRows(writer, name, ids, lists16, enabled, detailOffsets);
    }

    private static void FillRows(
        HashListEntry[] entries, ushort[] listOf, int[]? order, int[] ids, ushort[] lists, ulong[] enabled, long[] detailOffsets,
        FileStream details, ArrayBufferWriter<byte> body, ArrayBufferWriter<byte> record)
    {
        for (var i = 0; i < entries.Length; i++)
        {
            var source = order is null ? i : order[i];
            var entry = entries[source];
            ids[i] = entry.Id;
            lists[i] = listOf[source];
            if (entry.Enabled)
            {
                enabled[i >> 6] |= 1UL << i;
            }

            record.ResetWrittenCount();
            if (CompiledDetailCodec.TryEncode(entry, body, record))
            {
                detailOffsets[i] = details.Position;
                details.Write(record.WrittenSpan);
            }
            else
            {
                detailOffsets[i] = CompiledListLayout.NoDetails;
            }
        }
    }

    private static void WriteRows(CompiledSectionWriter writer, string name, int[] ids, ushort[] lists, ulong[] enabled, long[] detailOffsets)
    {
        writer.Add(name + ".ids", MemoryMarshal.AsBytes(ids.AsSpan()));
        writer.Add(name + ".lists", MemoryMarshal.AsBytes(lists.AsSpan()));
        writer.Add(name + ".enabled", MemoryMarshal.AsBytes(enabled.AsSpan()));
        writer.Add(name + ".details", MemoryMarshal.AsBytes(detailOffsets.AsSpan()));
    }

    /// <summary>The multi-index tables, laid out as <see cref="SubstringLayout.Choose"/> picks for an index of this size.</summary>
    internal static void WriteMultiIndex(CompiledSectionWriter writer, ulong[] words, int n)
    {
        var layout = SubstringLayout.Choose(n, new PdqIndexOptions().MaxBucketTableBytesPerEntry);
        if (layout is null)
        {
            return;
        }

        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(head, layout.Count);
        writer.Append(head, "pdq.mih");

        // Substrings are sorted a few at a time in parallel (one lane per core, at most four), then written in order.
        // Each lane keeps one set of buffers for every substring it sorts (sized for the widest): the tables of a 100M
        // list are gigabytes, and a fresh set per substring would pile up as garbage faster than it is collected.
        var widest = layout.Widths.Max();
        var lanes = Math.Clamp(Math.Min(Environment.ProcessorCount, layout.Count), 1, 4);
        var starts = new uint[lanes][];
        var slots = new int[lanes][];
        for (var lane = 0; lane < lanes; lane++)
        {
            starts[lane] = new uint[(1L << widest) + 1];
            slots[lane] = new int[n];
        }

        for (var first = 0; first < layout.Count; first += lanes)
        {
            var batch = Math.Min(lanes, layout.Count - first);
            var at = first;
            if (batch == 1)
            {
                CountingSort(words, n, layout.Offsets[at], layout.Widths[at], starts[0], slots[0]);
            }
            else
            {
                Parallel.For(0, batch, new ParallelOptions { MaxDegreeOfParallelism = batch }, lane =>
                    CountingSort(words, n, layout.Offsets[at + lane], layout.Widths[at + lane], starts[lane], slots[lane]));
            }

            for (var lane = 0; lane < batch; lane++)
            {
                var buckets = 1L << layout.Widths[first + lane];
                writer.Append(MemoryMarshal.AsBytes(starts[lane].AsSpan(0, (int)(buckets + 1))), null);
                writer.Append(MemoryMarshal.AsBytes(slots[lane].AsSpan()), null);
            }
        }

        writer.End();
    }

    /// <summary>Slots sorted by one substring's value: bucket starts (2^w + 1) and the slots, ascending within a bucket.</summary>
    private static void CountingSort(ulong[] words, int n, int offset, int width, uint[] startsBuffer, int[] slots)
    {
        var buckets = 1 << width;
        var starts = startsBuffer.AsSpan(0, buckets + 1);
        starts.Clear();
        for (var slot = 0; slot < n; slot++)
        {
            starts[(int)SubstringLayout.Extract(ref words[slot * PdqHash.WordCount], offset, width) + 1]++;
        }

        for (var b = 1; b < starts.Length; b++)
        {
            starts[b] += starts[b - 1];
        }

        // starts[b] serves as bucket b's cursor: afterwards it holds the start of bucket b + 1, so the starts are
        // shifted back by one (saves a second 2^w table per lane).
        for (var slot = 0; slot < n; slot++)
        {
            slots[starts[(int)SubstringLayout.Extract(ref words[slot * PdqHash.WordCount], offset, width)]++] = slot;
        }

        starts[..buckets].CopyTo(starts[1..]);
        starts[0] = 0;
    }
}
