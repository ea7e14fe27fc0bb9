namespace Needle.Core.Triage;

/// <summary>Why two reports are linked.</summary>
public enum LinkKind
{
    /// <summary>A file with the same SHA-256 or MD5 (the value says which: "sha256:…").</summary>
    SameMedia = 0,

    /// <summary>Images within the PDQ threshold of each other (value "pdq:DISTANCE").</summary>
    SimilarMedia = 1,

    /// <summary>The reported person's screen name (lower-cased).</summary>
    ScreenName = 2,

    /// <summary>The reported person's email address (lower-cased).</summary>
    Email = 3,

    /// <summary>The platform's own user id.</summary>
    EspUserId = 4,

    /// <summary>An IP address of the reported person, in canonical form (an IPv4-mapped IPv6 address as IPv4).</summary>
    IpAddress = 5,

    /// <summary>A device id of the reported person (lower-cased).</summary>
    DeviceId = 6,

    /// <summary>A camera body serial number read from a file's metadata.</summary>
    CameraSerial = 7,

    /// <summary>
    /// The robust tier's near-duplicate: one file shows the other cropped, rotated, scaled or mirrored, verified by
    /// agreeing keypoints (value "robust:inliers=N,rotate=...,scale=...,crop=..."). A media link, in the files' media cluster.
    /// </summary>
    Robust = 8,
}
