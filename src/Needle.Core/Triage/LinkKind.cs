namespace Needle.Core.Triage;

/// <summary>Why two reports are linked.</summary>
public enum LinkKind
{
    /// <summary>A file with the same SHA-256 or MD5 (the value says which: "sha256:…").</summary>
    SameMedia = 0,

    /// <summary>Images within the PDQ threshold of each other (value "pdq:DISTANCE").</summary>
    SimilarMedia = 1,

    ScreenName = 2,

    Email = 3,

    /// <summary>The platform's own user id.</summary>
    EspUserId = 4,

    IpAddress = 5,

    DeviceId = 6,

    /// <summary>A camera body serial number read from a file's metadata.</summary>
    CameraSerial = 7,
}
