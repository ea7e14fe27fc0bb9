namespace Needle.Hashing.Transforms;

/// <summary>
/// Pixel operations that undo the edits copies of a picture often carry (a mirror, a frame, a small rotation), so that
/// the edited copy can be hashed as the original was. Every result is a new, unpooled image in the source's layout.
/// </summary>
public static class ImageTransforms
{
    /// <summary>The pixels of <paramref name="rect"/>.</summary>
    public static DecodedImage Crop(DecodedImage image, PixelRect rect)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (rect.X < 0 || rect.Y < 0 || rect.Width <= 0 || rect.Height <= 0 || rect.X + rect.Width > image.Width || rect.Y + rect.Height > image.Height)
        {
            throw new ArgumentOutOfRangeException(nameof(rect), rect, "The rectangle is not inside the image.");
        }

        var channels = (int)image.Layout;
        var output = new byte[rect.Width * rect.Height * channels];
        var source = image.Pixels;
        var rowBytes = rect.Width * channels;
        for (var y = 0; y < rect.Height; y++)
        {
            source.Slice((((rect.Y + y) * image.Width) + rect.X) * channels, rowBytes).CopyTo(output.AsSpan(y * rowBytes, rowBytes));
        }

        return new DecodedImage(output, rect.Width, rect.Height, image.Layout);
    }

    /// <summary>The image mirrored left to right (columns reversed).</summary>
    public static DecodedImage MirrorLeftRight(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var channels = (int)image.Layout;
        var output = new byte[image.Width * image.Height * channels];
        var source = image.Pixels;
        for (var y = 0; y < image.Height; y++)
        {
            var row = y * image.Width * channels;
            for (var x = 0; x < image.Width; x++)
            {
                source.Slice(row + (x * channels), channels).CopyTo(output.AsSpan(row + ((image.Width - 1 - x) * channels), channels));
            }
        }

        return new DecodedImage(output, image.Width, image.Height, image.Layout);
    }

    /// <summary>
    /// The image scaled (bilinear, area-averaged when shrinking by more than 2) so that its longer side is at most
    /// <paramref name="maxSide"/>; the same image (not a copy) when it already fits.
    /// </summary>
    public static DecodedImage FitWithin(DecodedImage image, int maxSide)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSide, 1);
        var longer = Math.Max(image.Width, image.Height);
        if (longer <= maxSide)
        {
            return image;
        }

        var scale = (double)maxSide / longer;
        var width = Math.Max(1, (int)Math.Round(image.Width * scale));
        var height = Math.Max(1, (int)Math.Round(image.Height * scale));
        return Resize(image, width, height);
    }

    /// <summary>The image resized to exactly <paramref name="width"/> x <paramref name="height"/> by box-filtered bilinear sampling.</summary>
    public static DecodedImage Resize(DecodedImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var channels = (int)image.Layout;
        var output = new byte[width * height * channels];
        var source = image.Pixels;
        var scaleX = (double)image.Width / width;
        var scaleY = (double)image.Height / height;

        // Average a box of source pixels when shrinking, so the small copy is not aliased.
        var boxX = Math.Max(1, (int)scaleX);
        var boxY = Math.Max(1, (int)scaleY);
        Span<int> sums = stackalloc int[3];
        for (var y = 0; y < height; y++)
        {
            var sy0 = Math.Min(image.Height - boxY, (int)(y * scaleY));
            for (var x = 0; x < width; x++)
            {
                var sx0 = Math.Min(image.Width - boxX, (int)(x * scaleX));
                sums.Clear();
                for (var by = 0; by < boxY; by++)
                {
                    var row = (sy0 + by) * image.Width;
                    for (var bx = 0; bx < boxX; bx++)
                    {
                        var p = (row + sx0 + bx) * channels;
                        for (var c = 0; c < channels; c++)
                        {
                            sums[c] += source[p + c];
                        }
                    }
                }

                var count = boxX * boxY;
                var o = ((y * width) + x) * channels;
                for (var c = 0; c < channels; c++)
                {
                    output[o + c] = (byte)((sums[c] + (count / 2)) / count);
                }
            }
        }

        return new DecodedImage(output, width, height, image.Layout);
    }

    /// <summary>
    /// The image rotated by <paramref name="degrees"/> anticlockwise about its centre, bilinear, on a canvas of the
    /// same size; pixels that come from outside the image get <paramref name="fill"/> (a grey level, or the same
    /// level on every channel).
    /// </summary>
    public static DecodedImage Rotate(DecodedImage image, double degrees, byte fill = 0)
    {
        ArgumentNullException.ThrowIfNull(image);
        var channels = (int)image.Layout;
        var width = image.Width;
        var height = image.Height;
        var output = new byte[width * height * channels];
        var source = image.Pixels;
        var radians = degrees * Math.PI / 180;
        var cos = Math.Cos(radians);
        var sin = Math.Sin(radians);
        var cx = (width - 1) / 2.0;
        var cy = (height - 1) / 2.0;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                // Inverse mapping: where in the source this output pixel comes from (y grows downwards, so an
                // anticlockwise turn on screen is the clockwise formula in these coordinates).
                var dx = x - cx;
                var dy = y - cy;
                var sx = (cos * dx) - (sin * dy) + cx;
                var sy = (sin * dx) + (cos * dy) + cy;
                var o = ((y * width) + x) * channels;
                if (sx < 0 || sy < 0 || sx > width - 1 || sy > height - 1)
                {
                    output.AsSpan(o, channels).Fill(fill);
                    continue;
                }

                var x0 = Math.Min((int)sx, width - 2 < 0 ? 0 : width - 2);
                var y0 = Math.Min((int)sy, height - 2 < 0 ? 0 : height - 2);
                var x1 = Math.Min(x0 + 1, width - 1);
                var y1 = Math.Min(y0 + 1, height - 1);
                var fx = sx - x0;
                var fy = sy - y0;
                for (var c = 0; c < channels; c++)
                {
                    var top = (source[(((y0 * width) + x0) * channels) + c] * (1 - fx)) + (source[(((y0 * width) + x1) * channels) + c] * fx);
                    var bottom = (source[(((y1 * width) + x0) * channels) + c] * (1 - fx)) + (source[(((y1 * width) + x1) * channels) + c] * fx);
                    output[o + c] = (byte)Math.Clamp((int)Math.Round((top * (1 - fy)) + (bottom * fy)), 0, 255);
                }
            }
        }

        return new DecodedImage(output, width, height, image.Layout);
    }

    /// <summary>
    /// The largest axis-aligned rectangle, centred, that lies wholly inside a <paramref name="width"/> x
    /// <paramref name="height"/> image after it is rotated by <paramref name="degrees"/> about its centre: what is left
    /// once the rotated corners are cut away.
    /// </summary>
    public static PixelRect InscribedAfterRotation(int width, int height, double degrees)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var radians = Math.Abs(degrees) * Math.PI / 180 % Math.PI;
        if (radians > Math.PI / 2)
        {
            radians = Math.PI - radians;
        }

        var sin = Math.Sin(radians);
        var cos = Math.Cos(radians);
        var longSide = Math.Max(width, height);
        var shortSide = Math.Min(width, height);
        double innerWidth;
        double innerHeight;
        if (shortSide <= 2 * sin * cos * longSide || Math.Abs(sin - cos) < 1e-10)
        {
            // Half-constrained: two corners of the inner rectangle touch the longer sides.
            var x = 0.5 * shortSide;
            (innerWidth, innerHeight) = width >= height ? (x / sin, x / cos) : (x / cos, x / sin);
        }
        else
        {
            var cos2 = (cos * cos) - (sin * sin);
            innerWidth = ((width * cos) - (height * sin)) / cos2;
            innerHeight = ((height * cos) - (width * sin)) / cos2;
        }

        var w = Math.Clamp((int)Math.Floor(innerWidth), 1, width);
        var h = Math.Clamp((int)Math.Floor(innerHeight), 1, height);
        return new PixelRect((width - w) / 2, (height - h) / 2, w, h);
    }
}
