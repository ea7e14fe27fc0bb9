using System.Runtime.InteropServices;

namespace Needle.Hashing.Decoding;

/// <summary>
/// A decode's working pixels. Large buffers live in native memory, freed the moment the decode ends, so a burst of big
/// images never leaves hundreds of megabytes of dead arrays waiting for a garbage collection (the process-wide
/// <see cref="DecodeMemoryBudget"/> then bounds what is really held). Small buffers, and buffers handed over to a
/// <see cref="DecodedImage"/>, are managed arrays from <see cref="DecodeBuffers"/>.
/// </summary>
internal sealed unsafe class PixelBuffer : IDisposable
{
    private byte[]? _array;
    private byte* _native;

    private PixelBuffer(int length, bool managed)
    {
        Length = length;
        if (managed || length <= DecodeBuffers.PooledLimit)
        {
            _array = DecodeBuffers.Rent(length);
        }
        else
        {
            _native = (byte*)NativeMemory.Alloc((nuint)length);
        }
    }

    /// <summary>Bytes usable.</summary>
    public int Length { get; }

    /// <summary>The bytes; valid until disposed.</summary>
    public Span<byte> Span
    {
        get
        {
            if (_array is { } array)
            {
                return array.AsSpan(0, Length);
            }

            ObjectDisposedException.ThrowIf(_native is null, this);
            return new Span<byte>(_native, Length);
        }
    }

    /// <summary>A buffer of <paramref name="length"/> bytes; <paramref name="managed"/> when it may be handed over with <see cref="DetachArray"/>.</summary>
    public static PixelBuffer Rent(int length, bool managed) => new(length, managed);

    /// <summary>Hands the managed array over (for a <see cref="DecodedImage"/>); the buffer no longer owns it.</summary>
    public byte[] DetachArray()
    {
        var array = _array ?? throw new InvalidOperationException("Only a managed buffer can be handed over.");
        _array = null;
        return array;
    }

    public void Dispose()
    {
        if (_array is { } array)
        {
            _array = null;
            DecodeBuffers.Return(array);
        }

        if (_native is not null)
        {
            NativeMemory.Free(_native);
            _native = null;
        }
    }
}
