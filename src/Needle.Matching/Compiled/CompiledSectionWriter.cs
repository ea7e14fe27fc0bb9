using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Needle.Matching.Compiled;

/// <summary>Appends sections at aligned offsets, hashing each, and writes the header and section table last.</summary>
internal sealed class CompiledSectionWriter(FileStream file)
{
    private readonly List<(string Name, long Offset, long Length, ulong Checksum)> _rows = [];
    private readonly XxHash3 _hash = new();
    private string? _open;
    private long _start;

    public void WriteZeros(int count)
    {
        var zeros = new byte[count];
        file.Write(zeros);
    }

    public void Add(string name, ReadOnlySpan<byte> bytes)
    {
        Append(bytes, name);
        End();
    }

    /// <summary>Appends to the open section, or starts section <paramref name="name"/> when given.</summary>
    public void Append(ReadOnlySpan<byte> bytes, string? name)
    {
        if (name is not null)
        {
            if (_rows.Count == CompiledListLayout.MaxSections)
            {
                throw new InvalidOperationException("Too many sections.");
            }

            var aligned = CompiledListLayout.Align(file.Position);
            file.Write(new byte[aligned - file.Position]);
            _open = name;
            _start = aligned;
            _hash.Reset();
        }

        for (var offset = 0; offset < bytes.Length; offset += 1 << 24)
        {
            var chunk = bytes.Slice(offset, Math.Min(1 << 24, bytes.Length - offset));
            _hash.Append(chunk);
            file.Write(chunk);
        }
    }

    public void End()
    {
        _rows.Add((_open!, _start, file.Position - _start, _hash.GetCurrentHashAsUInt64()));
        _open = null;
    }

    /// <summary>Copies <paramref name="source"/> in as a section; <paramref name="blockSums"/> are the hashes of its 64 KiB blocks.</summary>
    public void CopySection(string name, Stream source, out ulong[] blockSums)
    {
        var sums = new List<ulong>();
        var block = new byte[CompiledListLayout.DetailBlockBytes];
        Append([], name);
        int read;
        while ((read = source.ReadAtLeast(block, block.Length, throwOnEndOfStream: false)) > 0)
        {
            sums.Add(XxHash3.HashToUInt64(block.AsSpan(0, read)));
            Append(block.AsSpan(0, read), null);
        }

        End();
        blockSums = [.. sums];
    }

    public void WriteHeader()
    {
        var length = file.Position;
        var header = new byte[CompiledListLayout.TableChecksumOffset + sizeof(ulong)];
        CompiledListLayout.Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), CompiledListLayout.Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), _rows.Count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(16), length);
        for (var i = 0; i < _rows.Count; i++)
        {
            var row = header.AsSpan(CompiledListLayout.FixedHeaderBytes + (i * CompiledListLayout.SectionRowBytes), CompiledListLayout.SectionRowBytes);
            Encoding.ASCII.GetBytes(_rows[i].Name, row[..CompiledListLayout.SectionNameBytes]);
            BinaryPrimitives.WriteInt64LittleEndian(row[16..], _rows[i].Offset);
            BinaryPrimitives.WriteInt64LittleEndian(row[24..], _rows[i].Length);
            BinaryPrimitives.WriteUInt64LittleEndian(row[32..], _rows[i].Checksum);
        }

        BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(CompiledListLayout.TableChecksumOffset), XxHash3.HashToUInt64(header.AsSpan(0, CompiledListLayout.TableChecksumOffset)));
        file.Position = 0;
        file.Write(header);
        file.Position = length;
    }
}
