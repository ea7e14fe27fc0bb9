using System.Buffers.Binary;
using System.IO.Compression;

namespace Needle.Hashing.Tests;

/// <summary>
/// A deliberately small, independent PNG reader (zlib inflate + unfilter, no Skia) used as the oracle for decoded
/// samples. Handles non-interlaced grey, RGB, palette, grey+alpha and RGBA at 8 or 16 bits per sample.
/// </summary>
internal sealed class ReferencePng
{
    public required int Width { get; init; }

    public required int Height { get; init; }

    public required int BitDepth { get; init; }

    public required int ColourType { get; init; }

    /// <summary>Samples of the stored channels, row-major, as stored (0..255 or 0..65535).</summary>
    public required int[] Samples { get; init; }

    /// <summary>Channels per pixel in <see cref="Samples"/> after palette expansion (palette images give 3).</summary>
    public required int Channels { get; init; }

    /// <summary>The stored RGB of pixel (x, y), alpha dropped, grey spread to three channels.</summary>
    public (int R, int G, int B) Rgb(int x, int y)
    {
        var i = ((y * Width) + x) * Channels;
        return Channels switch
        {
            1 or 2 => (Samples[i], Samples[i], Samples[i]),
            _ => (Samples[i], Samples[i + 1], Samples[i + 2]),
        };
    }

    public static ReferencePng Read(string path)
    {
        var file = File.ReadAllBytes(path);
        var pos = 8;
        int width = 0, height = 0, bitDepth = 0, colourType = 0;
        byte[] palette = [];
        using var idat = new MemoryStream();
        while (pos + 8 <= file.Length)
        {
            var length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            var type = System.Text.Encoding.ASCII.GetString(file, pos + 4, 4);
            var data = file.AsSpan(pos + 8, length);
            switch (type)
            {
                case "IHDR":
                    width = BinaryPrimitives.ReadInt32BigEndian(data);
                    height = BinaryPrimitives.ReadInt32BigEndian(data[4..]);
                    bitDepth = data[8];
                    colourType = data[9];
                    if (data[12] != 0)
                    {
                        throw new NotSupportedException("Interlaced PNGs are not supported by the reference reader.");
                    }

                    break;
                case "PLTE":
                    palette = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
            }

            pos += 12 + length;
        }

        var storedChannels = colourType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, 6 => 4, _ => throw new NotSupportedException() };
        if (bitDepth is not (8 or 16))
        {
            throw new NotSupportedException($"Bit depth {bitDepth} is not supported by the reference reader.");
        }

        var bytesPerSample = bitDepth / 8;
        var bytesPerPixel = storedChannels * bytesPerSample;
        var stride = width * bytesPerPixel;
        idat.Position = 0;
        using var inflater = new ZLibStream(idat, CompressionMode.Decompress);
        var raw = new byte[(stride + 1) * height];
        inflater.ReadExactly(raw);

        var image = new byte[stride * height];
        for (var y = 0; y < height; y++)
        {
            var filter = raw[y * (stride + 1)];
            var line = raw.AsSpan((y * (stride + 1)) + 1, stride);
            var current = image.AsSpan(y * stride, stride);
            var previous = y > 0 ? image.AsSpan((y - 1) * stride, stride) : new byte[stride];
            for (var i = 0; i < stride; i++)
            {
                int left = i >= bytesPerPixel ? current[i - bytesPerPixel] : 0;
                int up = previous[i];
                int upLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : 0;
                var predictor = filter switch
                {
                    0 => 0,
                    1 => left,
                    2 => up,
                    3 => (left + up) / 2,
                    4 => Paeth(left, up, upLeft),
                    _ => throw new InvalidDataException($"Bad PNG filter {filter}."),
                };
                current[i] = (byte)(line[i] + predictor);
            }
        }

        var channels = colourType == 3 ? 3 : storedChannels;
        var samples = new int[width * height * channels];
        for (var p = 0; p < width * height; p++)
        {
            if (colourType == 3)
            {
                var index = image[p];
                samples[p * 3] = palette[index * 3];
                samples[(p * 3) + 1] = palette[(index * 3) + 1];
                samples[(p * 3) + 2] = palette[(index * 3) + 2];
                continue;
            }

            for (var c = 0; c < channels; c++)
            {
                var offset = (p * bytesPerPixel) + (c * bytesPerSample);
                samples[(p * channels) + c] = bytesPerSample == 2 ? BinaryPrimitives.ReadUInt16BigEndian(image.AsSpan(offset)) : image[offset];
            }
        }

        return new ReferencePng
        {
            Width = width,
            Height = height,
            BitDepth = bitDepth,
            ColourType = colourType,
            Samples = samples,
            Channels = channels,
        };
    }

    private static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
}
