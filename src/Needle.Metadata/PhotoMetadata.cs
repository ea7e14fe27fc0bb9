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

    /// <summary>EXIF Make: the camera's manufacturer, as written.</summary>
    public string? CameraMake { get; init; }

    /// <summary>EXIF Model: the camera model, as written.</summary>
    public string? CameraModel { get; init; }

    /// <summary>EXIF BodySerialNumber: ties photos to one physical camera.</summary>
    public string? BodySerialNumber { get; init; }

    /// <summary>EXIF LensModel.</summary>
    public string? LensModel { get; init; }

    /// <summary>EXIF LensSerialNumber: ties photos to one physical lens.</summary>
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
