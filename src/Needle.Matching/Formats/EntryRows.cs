using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>
/// Regroups entries into items for formats that hold several hashes per item (VICS Media, ICSE rows, NCMEC images):
/// entries sharing a label form one item; an item holds at most one value per signal type, so a second MD5 under the
/// same label starts another item with that label. Entries without a label are items of their own.
/// </summary>
internal static class EntryRows
{
    public sealed class Row(string? label, HashListEntry first)
    {
        public string? Label { get; } = label;

        /// <summary>The first entry, whose category and metadata speak for the item.</summary>
        public HashListEntry First { get; } = first;

        public Dictionary<SignalType, HashListEntry> Values { get; } = [];
    }

    public static List<Row> Group(IReadOnlyList<HashListEntry> entries, bool enabledOnly)
    {
        var rows = new List<Row>();
        var open = new Dictionary<string, List<Row>>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (enabledOnly && !entry.Enabled)
            {
                continue;
            }

            Row? target = null;
            if (entry.Label is { } label && open.TryGetValue(label, out var candidates))
            {
                foreach (var candidate in candidates)
                {
                    if (!candidate.Values.ContainsKey(entry.SignalType))
                    {
                        target = candidate;
                        break;
                    }
                }
            }

            if (target is null)
            {
                target = new Row(entry.Label, entry);
                rows.Add(target);
                if (entry.Label is { } newLabel)
                {
                    if (!open.TryGetValue(newLabel, out var list))
                    {
                        open[newLabel] = list = [];
                    }

                    list.Add(target);
                }
            }

            target.Values[entry.SignalType] = entry;
        }

        return rows;
    }
}

/// <summary>A stream that replays bytes already read (for sniffing) before the rest of the inner stream.</summary>
internal sealed class PrefixedStream(byte[] prefix, int prefixLength, Stream inner) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position < prefixLength)
        {
            var n = Math.Min(buffer.Length, prefixLength - _position);
            prefix.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        return inner.Read(buffer);
    }

    /// <summary>Reads up to <paramref name="size"/> bytes of <paramref name="stream"/> and returns them with a stream that still yields everything.</summary>
    public static (byte[] Head, int Length, Stream Stream) Peek(Stream stream, int size)
    {
        var head = new byte[size];
        var length = 0;
        while (length < size)
        {
            var n = stream.Read(head, length, size - length);
            if (n == 0)
            {
                break;
            }

            length += n;
        }

        return (head, length, new PrefixedStream(head, length, stream));
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
