using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Needle.Matching.Lists;

/// <summary>
/// Reads many detail records without the list's lock, for a snapshot write: taken from an <see cref="EntryDetailStore"/>
/// under the lock, it sees every record appended until then (records never change once written; later appends go past
/// them). Records kept in a file are read through a large window, so records read in (or near) the order they were
/// appended cost one read call per window instead of two per record. Not thread-safe: one writer reads it.
/// </summary>
internal abstract class DetailRecordReader
{
    /// <summary>The record under <paramref name="reference"/>; the span is valid until the next call.</summary>
    public abstract ReadOnlySpan<byte> Read(long reference);

    /// <summary>A reader of the records in <paramref name="length"/> bytes of <paramref name="file"/> from <paramref name="start"/> (each a 4-byte length and the bytes).</summary>
    public static DetailRecordReader OfFile(SafeFileHandle file, long start, long length, string source) => new FileWindow(file, start, length, source);

    /// <summary>Records in a file, read a window at a time.</summary>
    private sealed class FileWindow(SafeFileHandle file, long start, long length, string source) : DetailRecordReader
    {
        private const int WindowSize = 1 << 20;

        private readonly byte[] _window = new byte[WindowSize];
        private long _windowAt;
        private int _windowLength;

        public override ReadOnlySpan<byte> Read(long reference)
        {
            if (reference < 0 || reference > length - sizeof(int))
            {
                throw new InvalidDataException($"Detail reference {reference} lies outside the {length}-byte detail records of {source}.");
            }

            if (reference < _windowAt || reference + sizeof(int) > _windowAt + _windowLength)
            {
                Fill(reference);
            }

            var size = BinaryPrimitives.ReadInt32LittleEndian(_window.AsSpan((int)(reference - _windowAt)));
            if (size < 0 || size > length - reference - sizeof(int))
            {
                throw new InvalidDataException($"The detail record at {reference} of {source} runs past its {length} bytes.");
            }

            var end = reference + sizeof(int) + size;
            if (end > _windowAt + _windowLength)
            {
                if (sizeof(int) + size > _window.Length)
                {
                    var large = new byte[size];
                    ReadFully(large, start + reference + sizeof(int));
                    return large;
                }

                Fill(reference);
            }

            return _window.AsSpan((int)(reference - _windowAt) + sizeof(int), size);
        }

        private void Fill(long at)
        {
            var count = (int)Math.Min(_window.Length, length - at);
            ReadFully(_window.AsSpan(0, count), start + at);
            _windowAt = at;
            _windowLength = count;
        }

        private void ReadFully(Span<byte> destination, long offset)
        {
            var read = 0;
            while (read < destination.Length)
            {
                var n = RandomAccess.Read(file, destination[read..], offset + read);
                if (n == 0)
                {
                    throw new EndOfStreamException($"The detail records of {source} ended early.");
                }

                read += n;
            }
        }
    }
}
