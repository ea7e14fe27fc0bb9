namespace Needle.Testing.Metadata;

/// <summary>What to write into a test JPEG's metadata; null fields are left out.</summary>
public sealed record ExifSpec
{
    /// <summary>IFD0 Make (0x010F).</summary>
    public string? Make { get; init; }

    /// <summary>IFD0 Model (0x0110).</summary>
    public string? Model { get; init; }

    /// <summary>IFD0 Software (0x0131).</summary>
    public string? Software { get; init; }

    /// <summary>IFD0 Artist (0x013B).</summary>
    public string? Artist { get; init; }

    /// <summary>IFD0 Copyright (0x8298).</summary>
    public string? Copyright { get; init; }

    /// <summary>Exif DateTimeOriginal (0x9003), as EXIF writes it: <c>yyyy:MM:dd HH:mm:ss</c>.</summary>
    public string? DateTimeOriginal { get; init; }

    /// <summary>Exif OffsetTimeOriginal (0x9011), e.g. <c>+02:00</c>.</summary>
    public string? OffsetTimeOriginal { get; init; }

    /// <summary>Exif BodySerialNumber (0xA431).</summary>
    public string? BodySerialNumber { get; init; }

    /// <summary>Exif LensModel (0xA434).</summary>
    public string? LensModel { get; init; }

    /// <summary>Exif LensSerialNumber (0xA435).</summary>
    public string? LensSerialNumber { get; init; }

    /// <summary>Exif CameraOwnerName (0xA430).</summary>
    public string? CameraOwnerName { get; init; }

    /// <summary>Exif ImageUniqueID (0xA420).</summary>
    public string? ImageUniqueId { get; init; }

    /// <summary>Signed decimal degrees; written as N/S, E/W refs and degree/minute/second rationals.</summary>
    public (double Latitude, double Longitude)? Gps { get; init; }

    /// <summary>GPS altitude in metres (negative: below sea level); written only with <see cref="Gps"/>.</summary>
    public double? AltitudeMetres { get; init; }

    /// <summary>GPS date and time (UTC).</summary>
    public DateTime? GpsTime { get; init; }

    /// <summary>A JPEG to embed as the IFD1 thumbnail.</summary>
    public byte[]? Thumbnail { get; init; }
}
