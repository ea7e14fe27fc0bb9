using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using MetadataExtractor.Formats.Iptc;
using MetadataExtractor.Formats.Xmp;
using MdeDirectory = MetadataExtractor.Directory;

namespace Needle.Metadata;

/// <summary>
/// Reads <see cref="PhotoMetadata"/> from a file's bytes with MetadataExtractor. Damaged or hostile metadata gives a
/// result with <see cref="PhotoMetadata.MetadataError"/> set, never an exception: the file is still evidence and must
/// still be hashed. Stateless and thread-safe.
/// </summary>
public static class PhotoMetadataReader
{
    // Raw tag numbers (EXIF 2.32, IPTC IIM 4.2): stable across MetadataExtractor versions, unlike some constant names.
    private const int TagMake = 0x010F;
    private const int TagModel = 0x0110;
    private const int TagSoftware = 0x0131;
    private const int TagArtist = 0x013B;
    private const int TagCopyright = 0x8298;
    private const int TagDateTimeOriginal = 0x9003;
    private const int TagOffsetTimeOriginal = 0x9011;
    private const int TagImageUniqueId = 0xA420;
    private const int TagCameraOwnerName = 0xA430;
    private const int TagBodySerialNumber = 0xA431;
    private const int TagLensModel = 0xA434;
    private const int TagLensSerialNumber = 0xA435;
    private const int TagDngOwnerName = 0xFDE8; // "OwnerName" as older Canon and DNG files write it
    private const int TagGpsAltitudeRef = 0x0005;
    private const int TagGpsAltitude = 0x0006;
    private const int TagThumbnailOffset = 0x0201;
    private const int TagThumbnailLength = 0x0202;
    private const int IptcByLine = 0x0250;
    private const int IptcCopyrightNotice = 0x0274;

    /// <summary>Thumbnails larger than this are not copied out (EXIF caps APP1 at 64 KiB; other containers should not exceed it by much).</summary>
    private const int MaxThumbnailBytes = 1 << 20;

    /// <summary>Reads the metadata of a file already in memory (the bytes are not kept).</summary>
    public static PhotoMetadata Read(ReadOnlyMemory<byte> file)
    {
        var stream = MemoryMarshal.TryGetArray(file, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(file.ToArray(), writable: false);
        using (stream)
        {
            return Read(stream, file);
        }
    }

    /// <summary>Reads the metadata from <paramref name="stream"/> (read to its end; not disposed).</summary>
    public static PhotoMetadata Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var copy = new MemoryStream();
        try
        {
            stream.CopyTo(copy);
        }
        catch (IOException e)
        {
            return new PhotoMetadata { MetadataError = "the file could not be read: " + e.Message };
        }

        return Read(copy.GetBuffer().AsMemory(0, (int)copy.Length));
    }

    private static PhotoMetadata Read(MemoryStream stream, ReadOnlyMemory<byte> file)
    {
        IReadOnlyList<MdeDirectory> directories;
        try
        {
            directories = ImageMetadataReader.ReadMetadata(stream);
        }
        catch (Exception e) when (IsDamage(e))
        {
            // A file MetadataExtractor does not recognise at all has no metadata, not broken metadata.
            return e is ImageProcessingException && e.Message.Contains("File format", StringComparison.OrdinalIgnoreCase)
                ? PhotoMetadata.Empty
                : new PhotoMetadata { MetadataError = Describe(e) };
        }

        var errors = new List<string>();
        foreach (var directory in directories)
        {
            foreach (var error in directory.Errors)
            {
                errors.Add($"{directory.Name}: {error}");
            }
        }

        try
        {
            return Extract(directories, file.Span) with { MetadataError = errors.Count == 0 ? null : string.Join("; ", errors.Distinct()) };
        }
        catch (Exception e) when (IsDamage(e))
        {
            errors.Add(Describe(e));
            return new PhotoMetadata { MetadataError = string.Join("; ", errors) };
        }
    }

    private static PhotoMetadata Extract(IReadOnlyList<MdeDirectory> directories, ReadOnlySpan<byte> file)
    {
        var ifd0 = directories.OfType<ExifIfd0Directory>().FirstOrDefault();
        var exif = directories.OfType<ExifSubIfdDirectory>().FirstOrDefault();
        var gps = directories.OfType<GpsDirectory>().FirstOrDefault();
        var thumbnail = directories.OfType<ExifThumbnailDirectory>().FirstOrDefault();
        var iptc = directories.OfType<IptcDirectory>().FirstOrDefault();
        var xmp = directories.OfType<XmpDirectory>().FirstOrDefault();

        var names = new List<MetadataName>();
        AddName(names, "exif:artist", Text(ifd0, TagArtist));
        AddName(names, "exif:owner", Text(exif, TagCameraOwnerName) ?? Text(ifd0, TagCameraOwnerName));
        AddName(names, "exif:owner", Text(ifd0, TagDngOwnerName) ?? Text(exif, TagDngOwnerName));
        AddName(names, "exif:copyright", Text(ifd0, TagCopyright));
        if (xmp is not null)
        {
            foreach (var (path, value) in xmp.GetXmpProperties().OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (path.StartsWith("dc:creator[", StringComparison.Ordinal))
                {
                    AddName(names, "xmp:creator", Clean(value));
                }
            }
        }

        AddName(names, "iptc:by-line", Text(iptc, IptcByLine));
        AddName(names, "iptc:copyright", Text(iptc, IptcCopyrightNotice));

        return new PhotoMetadata
        {
            Gps = ReadGps(gps),
            Captured = ReadCaptureTime(exif),
            CameraMake = Text(ifd0, TagMake),
            CameraModel = Text(ifd0, TagModel),
            BodySerialNumber = Text(exif, TagBodySerialNumber),
            LensModel = Text(exif, TagLensModel),
            LensSerialNumber = Text(exif, TagLensSerialNumber),
            Software = Text(ifd0, TagSoftware),
            ImageUniqueId = Text(exif, TagImageUniqueId),
            Names = names,
            Thumbnail = ReadThumbnail(thumbnail, file),
        };
    }

    private static GpsFix? ReadGps(GpsDirectory? gps)
    {
        if (gps?.GetGeoLocation() is not { } location
            || !double.IsFinite(location.Latitude) || !double.IsFinite(location.Longitude)
            || Math.Abs(location.Latitude) > 90 || Math.Abs(location.Longitude) > 180)
        {
            return null;
        }

        double? altitude = null;
        if (gps.TryGetRational(TagGpsAltitude, out var rational) && rational.Denominator != 0)
        {
            altitude = rational.ToDouble();
            if (gps.TryGetInt32(TagGpsAltitudeRef, out var below) && below == 1)
            {
                altitude = -altitude;
            }
        }

        DateTime? timestamp = gps.TryGetGpsDate(out var date) ? DateTime.SpecifyKind(date, DateTimeKind.Utc) : null;
        return new GpsFix(location.Latitude, location.Longitude, altitude, timestamp);
    }

    private static CaptureTime? ReadCaptureTime(ExifSubIfdDirectory? exif)
    {
        // EXIF writes "YYYY:MM:DD HH:MM:SS"; some writers use dashes or a 'T'.
        if (Text(exif, TagDateTimeOriginal) is not { } text
            || !DateTime.TryParseExact(text, ["yyyy:MM:dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-ddTHH:mm:ss", "yyyy:MM:dd HH:mm"],
                CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return null;
        }

        return new CaptureTime(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), ParseOffset(Text(exif, TagOffsetTimeOriginal)));
    }

    /// <summary>EXIF offsets are "+HH:MM" or "-HH:MM"; anything else (including the "   :  " of unset fields) is none.</summary>
    private static TimeSpan? ParseOffset(string? text)
    {
        if (text is not { Length: 6 } || text[0] is not ('+' or '-')
            || !TimeSpan.TryParseExact(text.AsSpan(1), @"hh\:mm", CultureInfo.InvariantCulture, out var magnitude)
            || magnitude > TimeSpan.FromHours(14))
        {
            return null;
        }

        return text[0] == '-' ? magnitude.Negate() : magnitude;
    }
    /// <summary>
    /// Copies the IFD1 thumbnail out of the file. Its offset is relative to the TIFF header, which for a JPEG sits in
    /// the APP1 "Exif" segment; the bytes are taken only when they really start a JPEG.
    /// </summary>
    private static EmbeddedThumbnail? ReadThumbnail(ExifThumbnailDirectory? directory, ReadOnlySpan<byte> file)
    {
        if (directory is null
            || !directory.TryGetInt64(TagThumbnailOffset, out var offset)
            || !directory.TryGetInt64(TagThumbnailLength, out var length)
            || length is <= 2 or > MaxThumbnailBytes
            || offset < 0)
        {
            return null;
        }

        foreach (var tiffStart in TiffHeaderOffsets(file))
        {
            var start = tiffStart + offset;
            if (start + length <= file.Length && file[(int)start] == 0xFF && file[(int)start + 1] == 0xD8)
            {
                return new EmbeddedThumbnail(file.Slice((int)start, (int)length).ToArray());
            }
        }

        return null;
    }

    /// <summary>Where TIFF headers may start: after "Exif\0\0" in a JPEG APP1 segment, or at 0 for a TIFF file.</summary>
    private static List<long> TiffHeaderOffsets(ReadOnlySpan<byte> file)
    {
        var offsets = new List<long> { 0 };
        if (file.Length < 4 || file[0] != 0xFF || file[1] != 0xD8)
        {
            return offsets;
        }

        var position = 2;
        while (position + 4 <= file.Length && file[position] == 0xFF)
        {
            var marker = file[position + 1];
            if (marker is 0xDA or 0xD9)
            {
                break; // start of scan: no more metadata segments
            }

            var segmentLength = BinaryPrimitives.ReadUInt16BigEndian(file[(position + 2)..]);
            var data = position + 4;
            if (marker == 0xE1 && data + 6 <= file.Length && file.Slice(data, 6).SequenceEqual("Exif\0\0"u8))
            {
                offsets.Insert(0, data + 6);
            }

            if (segmentLength < 2)
            {
                break;
            }

            position += 2 + segmentLength;
        }

        return offsets;
    }

    private static void AddName(List<MetadataName> names, string source, string? name)
    {
        if (name is not null && !names.Contains(new MetadataName(source, name)))
        {
            names.Add(new MetadataName(source, name));
        }
    }

    private static string? Text(MdeDirectory? directory, int tag) => directory is null ? null : Clean(directory.GetString(tag));

    /// <summary>Trims padding (spaces, NULs) and drops empty values.</summary>
    private static string? Clean(string? value)
    {
        var trimmed = value?.Trim().Trim('\0').Trim();
        return string.IsNullOrEmpty(trimmed) ? null : trimmed;
    }

    /// <summary>
    /// Whether an exception from parsing is the file's fault. Hostile files drive MetadataExtractor into every kind of
    /// exception (index, cast, overflow, key-not-found...), and one bad header must not stop a scan of evidence, so all
    /// of them are reported as damage except the runtime's own emergencies.
    /// </summary>
    private static bool IsDamage(Exception e) => e is not (OutOfMemoryException or OperationCanceledException or StackOverflowException);

    private static string Describe(Exception e) => $"the metadata is damaged ({e.GetType().Name}: {e.Message})";
}
