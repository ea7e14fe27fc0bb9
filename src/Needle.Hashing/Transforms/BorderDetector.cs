namespace Needle.Hashing.Transforms;

/// <summary>
/// Finds the picture inside a frame: uniform borders (black, white or any flat colour, letter and pillar boxes) and
/// smooth ones (the blurred, stretched copy of the picture that video and social-media exports put in pillar boxes).
/// </summary>
public static class BorderDetector
{
    // A row or column is part of a uniform border when this share of its pixels is within LevelTolerance of the
    // border's level (taken from the outermost line): JPEG ringing and a few specks must not end the border.
    private const double UniformShare = 0.97;
    private const int LevelTolerance = 12;

    // An exact frame (a flat colour added by an editor) on a picture whose own edge is nearly the same colour (a
    // night sky, space): only the frame's own level, within 2, ends it.
    private const double ExactShare = 0.995;
    private const int ExactTolerance = 2;

    // A smooth border line changes less than this much, on average, from one pixel to the next along it.
    private const double SmoothGradient = 1.5;

    // No side is trimmed by more than this share of the picture, and the inside keeps at least this share.
    private const double MaxSideShare = 0.4;

    /// <summary>
    /// The rectangles that may hold the picture inside a frame, most likely first: the inside of a uniform frame, of an
    /// exactly flat one, then of a smooth one (each when it differs, and the smooth one only when
    /// <paramref name="smooth"/>). Empty when no side has a border (at least 2 px and 1 % of that side).
    /// </summary>
    public static IReadOnlyList<PixelRect> FindContent(DecodedImage image, bool smooth = true)
    {
        ArgumentNullException.ThrowIfNull(image);
        var width = image.Width;
        var height = image.Height;
        var found = new List<PixelRect>(2);
        if (width < 8 || height < 8)
        {
            return found;
        }

        var luma = Luma(image);
        foreach (var mode in (ReadOnlySpan<Mode>)[Mode.Uniform, Mode.Exact, Mode.Smooth])
        {
            if (mode == Mode.Smooth && !smooth)
            {
                continue;
            }

            var top = Thickness(luma, width, height, horizontal: true, fromStart: true, mode);
            var bottom = Thickness(luma, width, height, horizontal: true, fromStart: false, mode);
            var left = Thickness(luma, width, height, horizontal: false, fromStart: true, mode);
            var right = Thickness(luma, width, height, horizontal: false, fromStart: false, mode);
            var rect = new PixelRect(left, top, width - left - right, height - top - bottom);
            if (rect.Width < width * (1 - (2 * MaxSideShare)) || rect.Height < height * (1 - (2 * MaxSideShare)) || rect.IsWhole(width, height) || found.Contains(rect))
            {
                continue;
            }

            found.Add(rect);
        }

        return found;
    }

    private static byte[] Luma(DecodedImage image)
    {
        var pixels = image.Pixels;
        var count = image.Width * image.Height;
        var luma = new byte[count];
        if (image.Layout == PixelLayout.Gray8)
        {
            pixels[..count].CopyTo(luma);
            return luma;
        }

        for (var i = 0; i < count; i++)
        {
            var p = i * 3;
            luma[i] = (byte)(((pixels[p] * 299) + (pixels[p + 1] * 587) + (pixels[p + 2] * 114) + 500) / 1000);
        }

        return luma;
    }

    /// <summary>How many lines from one side belong to a border (0 when fewer than the minimum).</summary>
    private static int Thickness(byte[] luma, int width, int height, bool horizontal, bool fromStart, Mode mode)
    {
        var lines = horizontal ? height : width;
        var length = horizontal ? width : height;
        var limit = (int)(lines * MaxSideShare);
        var reference = Median(luma, width, horizontal, fromStart ? 0 : lines - 1, length);
        var count = 0;
        while (count < limit)
        {
            var line = fromStart ? count : lines - 1 - count;
            var isBorder = mode switch
            {
                Mode.Smooth => IsSmooth(luma, width, horizontal, line, length),
                Mode.Exact => IsUniform(luma, width, horizontal, line, length, reference, ExactTolerance, ExactShare),
                _ => IsUniform(luma, width, horizontal, line, length, reference, LevelTolerance, UniformShare),
            };
            if (!isBorder)
            {
                break;
            }

            count++;
        }

        // A border that never ended is no border: the whole picture is flat (or blurred) that far in.
        return count >= Math.Max(2, lines / 100) && count < limit ? count : 0;
    }

    private static int Index(int width, bool horizontal, int line, int i) => horizontal ? (line * width) + i : (i * width) + line;

    private static int Median(byte[] luma, int width, bool horizontal, int line, int length)
    {
        Span<int> histogram = stackalloc int[256];
        for (var i = 0; i < length; i++)
        {
            histogram[luma[Index(width, horizontal, line, i)]]++;
        }

        var seen = 0;
        for (var level = 0; level < 256; level++)
        {
            seen += histogram[level];
            if (seen * 2 >= length)
            {
                return level;
            }
        }

        return 255;
    }

    private static bool IsUniform(byte[] luma, int width, bool horizontal, int line, int length, int reference, int tolerance, double share)
    {
        var outliers = 0;
        var allowed = (int)(length * (1 - share));
        for (var i = 0; i < length; i++)
        {
            if (Math.Abs(luma[Index(width, horizontal, line, i)] - reference) > tolerance && ++outliers > allowed)
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSmooth(byte[] luma, int width, bool horizontal, int line, int length)
    {
        long total = 0;
        for (var i = 1; i < length; i++)
        {
            total += Math.Abs(luma[Index(width, horizontal, line, i)] - luma[Index(width, horizontal, line, i - 1)]);
        }

        return total <= SmoothGradient * (length - 1);
    }

    private enum Mode
    {
        Uniform,
        Exact,
        Smooth,
    }
}
