namespace Needle.Metadata;

/// <summary>A capture time as the camera wrote it: local clock time, plus its UTC offset when the file records one.</summary>
/// <param name="Local">The camera's clock time as written (EXIF DateTimeOriginal), of unspecified kind.</param>
/// <param name="Offset">Its UTC offset (EXIF OffsetTimeOriginal, at most ±14 h); null when the file records none.</param>
public sealed record CaptureTime(DateTime Local, TimeSpan? Offset)
{
    /// <summary>ISO 8601: <c>2024-05-01T14:03:22+02:00</c>, or without the offset when none was recorded.</summary>
    public override string ToString() => Offset is { } offset
        ? new DateTimeOffset(Local, offset).ToString("yyyy-MM-dd'T'HH:mm:sszzz", System.Globalization.CultureInfo.InvariantCulture)
        : Local.ToString("yyyy-MM-dd'T'HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
}
