using System.Collections.Concurrent;

namespace Needle.Video;

/// <summary>
/// Reads fixed-size raw frames from ffmpeg's stdout on its own thread into a small pool of buffers, so decoding in
/// ffmpeg and hashing in this process overlap (a 64 KiB pipe would otherwise stall ffmpeg while each frame is hashed).
/// </summary>
internal sealed class FramePipe : IDisposable
{
    private readonly Stream _stream;
    private readonly BlockingCollection<byte[]> _free = [];
    private readonly BlockingCollection<byte[]> _filled = [];
    private readonly CancellationTokenSource _stop = new();

    public FramePipe(Stream stream, int frameBytes, int buffers)
    {
        _stream = stream;
        for (var i = 0; i < buffers; i++)
        {
            _free.Add(new byte[frameBytes]);
        }
    }

    /// <summary>The reader loop: runs until the end of the stream (a partial last frame is ignored) or <see cref="Stop"/>.</summary>
    public void Run()
    {
        try
        {
            while (true)
            {
                byte[] buffer;
                try
                {
                    buffer = _free.Take(_stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (!ReadFrame(_stream, buffer))
                {
                    return;
                }

                _filled.Add(buffer);
            }
        }
        finally
        {
            _filled.CompleteAdding();
        }
    }

    /// <summary>The next full frame, or null at the end.</summary>
    public byte[]? TakeFilled() => _filled.TryTake(out var buffer, Timeout.Infinite) ? buffer : null;

    /// <summary>Gives a buffer back for the next frame.</summary>
    public void Return(byte[] buffer) => _free.Add(buffer);

    /// <summary>Makes the reader stop at its next free-buffer wait (the caller also ends the stream by killing ffmpeg).</summary>
    public void Stop() => _stop.Cancel();

    public void Dispose()
    {
        _stop.Dispose();
        _free.Dispose();
        _filled.Dispose();
    }

    private static bool ReadFrame(Stream stream, byte[] buffer)
    {
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = stream.Read(buffer, filled, buffer.Length - filled);
            if (read == 0)
            {
                return false;
            }

            filled += read;
        }

        return true;
    }
}
