namespace Needle.Metadata;

/// <summary>
/// The "where, when and who" clues a photo file carries in its EXIF, XMP and IPTC metadata.
/// Every field is null (or empty) when the file does not have it.
/// </summary>
public sealed record PhotoMetadata
{
    /// <summary>No metadata at all (also what a file with unreadable metadata gives, with <see cref="MetadataError"/> set).</summary>
    public static PhotoMetadata Empty { get; } = new();

    /// <summary>Where the camera says it was (EXIF GPS).</summary>
    public GpsFix? Gps { get; init; }

    /// <summary>When the photo was taken (EXIF DateTimeOriginal with OffsetTimeOriginal when present).</summary>
    public CaptureTime? Captured { get; init; }

    public string? CameraMake { get; init; }

    public string? CameraModel { get; init; }

    /// <summary>EXIF BodySerialNumber: ties photos to one physical camera.</summary>
    public string? BodySerialNumber { get; init; }

    public string? LensModel { get; init; }

    public string? LensSerialNumber { get; init; }

    /// <summary>EXIF Software: the camera firmware or the program that last wrote the file.</summary>
    public string? Software { get; init; }

    /// <summary>EXIF ImageUniqueID.</summary>
    public string? ImageUniqueId { get; init; }

    /// <summary>Names of people the file names (artist, owner, copyright holder, creator, by-line), each with where it came from.</summary>
    public IReadOnlyList<MetadataName> Names { get; init; } = [];

    /// <summary>The EXIF thumbnail (IFD1), when the file embeds one.</summary>
    public EmbeddedThumbnail? Thumbnail { get; init; }

    /// <summary>Why some or all of the metadata could not be read; null when it was read cleanly.</summary>
    public string? MetadataError { get; init; }

    /// <summary>True when at least one clue was found.</summary>
    public bool HasClues =>
        Gps is not null || Captured is not null || CameraMake is not null || CameraModel is not null || BodySerialNumber is not null
        || LensModel is not null || LensSerialNumber is not null || Software is not null || ImageUniqueId is not null
        || Names.Count > 0 || Thumbnail is not null;
}

/// <summary>A GPS position in signed decimal degrees (south and west negative), WGS 84.</summary>
/// <param name="Latitude">-90 to 90.</param>
/// <param name="Longitude">-180 to 180.</param>
/// <param name="AltitudeMetres">Above sea level (negative below), when recorded.</param>
/// <param name="TimestampUtc">The GPS fix's own UTC time (GPSDateStamp + GPSTimeStamp), when recorded.</param>
public sealed record GpsFix(double Latitude, double Longitude, double? AltitudeMetres, DateTime? TimestampUtc);

/// <summary>A capture time as the camera wrote it: local clock time, plus its UTC offset when the file records one.</summary>
public sealed record CaptureTime(DateTime Local, TimeSpan? Offset)
{
    /// <summary>ISO 8601: <c>2024-05-01T14:03:22+02:00</c>, or without the offset when none was recorded.</summary>
    public override string ToString() => Offset is { } offset
        ? new DateTimeOffset(Local, offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)
        : Local.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A person's name found in the metadata.</summary>
/// <param name="Source">Which field: <c>exif:artist</c>, <c>exif:owner</c>, <c>exif:copyright</c>, <c>xmp:creator</c>, <c>iptc:by-line</c>, <c>iptc:copyright</c>.</param>
/// <param name="Name">The text as stored (trimmed).</param>
public sealed record MetadataName(string Source, string Name);

/// <summary>
/// The EXIF thumbnail's bytes (a JPEG, copied out of the file). Editors often update the main image and forget the
/// thumbnail, so a thumbnail that shows a different picture is a clue to the original: hash both and compare.
/// </summary>
public sealed class EmbeddedThumbnail(byte[] jpeg)
{
    public ReadOnlyMemory<byte> Jpeg { get; } = jpeg;

    public int Length => Jpeg.Length;
}
