using SkiaSharp;

namespace Needle.Hashing.Decoding;

/// <summary>
/// Where each output pixel comes from in the stored image, combining the EXIF orientation (when applied) and the
/// reference's nearest-neighbour stretch to a square.
/// </summary>
/// <remarks>
/// Both steps are separable, so the plan is two index maps. The output is walked in "lines": output rows, or output
/// columns when the orientation transposes the image (EXIF 5..8). Every pixel of a line comes from one stored row
/// (<see cref="LineSourceRow"/>); position <c>j</c> along the line takes stored column <see cref="AlongSourceColumn"/>[j].
/// Because each line needs exactly one stored row, stored rows can be decoded one by one and dropped (JPEG scanlines).
/// </remarks>
internal sealed class SamplingPlan
{
    private SamplingPlan(int outputWidth, int outputHeight, bool transposed, int[] lineSourceRow, int[] alongSourceColumn, bool isIdentity)
    {
        OutputWidth = outputWidth;
        OutputHeight = outputHeight;
        Transposed = transposed;
        LineSourceRow = lineSourceRow;
        AlongSourceColumn = alongSourceColumn;
        IsIdentity = isIdentity;
    }

    public int OutputWidth { get; }

    public int OutputHeight { get; }

    /// <summary>Lines are output columns (EXIF orientations 5..8).</summary>
    public bool Transposed { get; }

    /// <summary>For each line, the stored row it samples.</summary>
    public int[] LineSourceRow { get; }

    /// <summary>For each position along a line, the stored column it samples.</summary>
    public int[] AlongSourceColumn { get; }

    /// <summary>The output is the stored image unchanged (no orientation, no resampling): no maps are built.</summary>
    public bool IsIdentity { get; }

    public int LineCount => LineSourceRow.Length;

    /// <summary>Whether an image of this size (after orientation) is stretched to <paramref name="resampleSize"/> square.</summary>
    public static bool NeedsResampling(int width, int height, int? resampleSize) =>
        resampleSize is { } size && (width > size || height > size);

    public static SamplingPlan Create(int storedWidth, int storedHeight, SKEncodedOrigin origin, int? resampleSize)
    {
        var transposed = origin >= SKEncodedOrigin.LeftTop && origin <= SKEncodedOrigin.LeftBottom;
        var orientedWidth = transposed ? storedHeight : storedWidth;
        var orientedHeight = transposed ? storedWidth : storedHeight;
        var resample = NeedsResampling(orientedWidth, orientedHeight, resampleSize);
        var outputWidth = resample ? resampleSize!.Value : orientedWidth;
        var outputHeight = resample ? resampleSize!.Value : orientedHeight;

        if (!resample && origin is SKEncodedOrigin.TopLeft or < SKEncodedOrigin.TopLeft or > SKEncodedOrigin.LeftBottom)
        {
            return new SamplingPlan(outputWidth, outputHeight, transposed: false, [], [], isIdentity: true);
        }

        // Output (x, y) samples oriented pixel (floor(x * W' / outW), floor(y * H' / outH)) (identity when not resampling).
        var orientedX = AxisMap(outputWidth, orientedWidth);
        var orientedY = AxisMap(outputHeight, orientedHeight);

        // Oriented -> stored, per EXIF: which stored axis each oriented axis runs along, and whether it is reversed.
        var (flipStoredX, flipStoredY) = origin switch
        {
            SKEncodedOrigin.TopRight => (true, false),
            SKEncodedOrigin.BottomRight => (true, true),
            SKEncodedOrigin.BottomLeft => (false, true),
            SKEncodedOrigin.LeftTop => (false, false),
            SKEncodedOrigin.RightTop => (false, true),
            SKEncodedOrigin.RightBottom => (true, true),
            SKEncodedOrigin.LeftBottom => (true, false),
            _ => (false, false),
        };

        int[] lineSourceRow;
        int[] alongSourceColumn;
        if (transposed)
        {
            // Stored x runs along oriented y; stored y runs along oriented x. Lines are output columns.
            lineSourceRow = orientedX;
            alongSourceColumn = orientedY;
        }
        else
        {
            lineSourceRow = orientedY;
            alongSourceColumn = orientedX;
        }

        if (flipStoredY)
        {
            Reverse(lineSourceRow, storedHeight);
        }

        if (flipStoredX)
        {
            Reverse(alongSourceColumn, storedWidth);
        }

        return new SamplingPlan(outputWidth, outputHeight, transposed, lineSourceRow, alongSourceColumn, isIdentity: false);
    }

    /// <summary>
    /// Writes line <paramref name="line"/> of the output from the stored row <paramref name="storedRowRgba"/>
    /// (RGBA), as RGB (<paramref name="bytesPerPixel"/> 3) or grey (1).
    /// </summary>
    public void EmitLine(int line, ReadOnlySpan<byte> storedRowRgba, Span<byte> output, int bytesPerPixel)
    {
        var along = AlongSourceColumn;
        var (start, step) = Transposed ? (line, OutputWidth) : (line * OutputWidth, 1);
        if (bytesPerPixel == 3)
        {
            for (var j = 0; j < along.Length; j++)
            {
                var s = along[j] * 4;
                var d = (start + (j * step)) * 3;
                output[d] = storedRowRgba[s];
                output[d + 1] = storedRowRgba[s + 1];
                output[d + 2] = storedRowRgba[s + 2];
            }
        }
        else
        {
            for (var j = 0; j < along.Length; j++)
            {
                output[start + (j * step)] = storedRowRgba[along[j] * 4];
            }
        }
    }

    private static int[] AxisMap(int outputLength, int sourceLength)
    {
        var map = new int[outputLength];
        for (var i = 0; i < map.Length; i++)
        {
            // Long arithmetic: i * sourceLength overflows int for large images.
            map[i] = (int)((long)i * sourceLength / outputLength);
        }

        return map;
    }

    private static void Reverse(int[] map, int length)
    {
        for (var i = 0; i < map.Length; i++)
        {
            map[i] = length - 1 - map[i];
        }
    }
}
