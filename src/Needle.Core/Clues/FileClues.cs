namespace Needle.Core.Clues;

/// <summary>
/// What a file's metadata tells about where, when and who, as stored with the file's result. Every field is null (or
/// empty) when the file does not carry it. Kept as one JSON document beside the file's columns; only
/// <see cref="GpsClue.Country"/> is also a column (it is what jurisdiction routing and queries use).
/// </summary>
public sealed record FileClues
{
    /// <summary>The EXIF GPS position, placed in a country and region when it falls on land the boundary data covers.</summary>
    public GpsClue? Gps { get; init; }

    /// <summary>Capture time as ISO 8601 local time, with its UTC offset when the file records one (<c>2024-06-15T10:20:30+02:00</c>).</summary>
    public string? Captured { get; init; }

    /// <summary>True when <see cref="Captured"/> carries a UTC offset (EXIF OffsetTimeOriginal).</summary>
    public bool? CapturedHasOffset { get; init; }

    /// <summary>EXIF Make: the camera's manufacturer, as written.</summary>
    public string? CameraMake { get; init; }

    /// <summary>EXIF Model: the camera model, as written.</summary>
    public string? CameraModel { get; init; }

    /// <summary>EXIF BodySerialNumber: ties photos to one physical camera (a link key between reports).</summary>
    public string? BodySerialNumber { get; init; }

    /// <summary>EXIF LensModel.</summary>
    public string? LensModel { get; init; }

    /// <summary>EXIF LensSerialNumber: ties photos to one physical lens.</summary>
    public string? LensSerialNumber { get; init; }

    /// <summary>EXIF Software: the camera firmware or the program that last wrote the file.</summary>
    public string? Software { get; init; }

    /// <summary>EXIF ImageUniqueID: an identifier the camera gave this picture.</summary>
    public string? ImageUniqueId { get; init; }

    /// <summary>Names of people the metadata holds, each with the field it came from.</summary>
    public IReadOnlyList<NameClue> Names { get; init; } = [];

    /// <summary>The embedded EXIF thumbnail compared with the image, when there is one.</summary>
    public ThumbnailClue? Thumbnail { get; init; }

    /// <summary>Why (some of) the metadata could not be read; the file is hashed and matched regardless.</summary>
    public string? MetadataError { get; init; }
}
