using Needle.Application.Clues;
using Needle.Application.Media;
using Needle.Core.Jurisdiction;
using Needle.Hashing;
using Needle.Video;

namespace Needle.Application.Processing;

/// <summary>How report processing runs.</summary>
public sealed record ProcessorOptions
{
    /// <summary>How long a job is held; it is renewed while a long report is processed.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a failed job waits before it runs again.</summary>
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Limits for decoding media (hostile input).</summary>
    public DecodeOptions Decode { get; init; } = DecodeOptions.Default;

    /// <summary>
    /// The shared geodata (reverse geocoder, IP database) placing GPS fixes and IP events in countries; null places
    /// nothing (metadata clues are still read, and every report goes to the default queue).
    /// </summary>
    public GeoLocator? Geo { get; init; }

    /// <summary>Jurisdiction routing rules; default: everything to "international".</summary>
    public JurisdictionRules Routing { get; init; } = JurisdictionRules.Default;

    /// <summary>
    /// How videos are hashed (vPDQ, with dihedral frame hashes for mirrored copies) and their limits: duration, frames,
    /// size and a wall-clock time-out (the lease is renewed while a video is hashed). Null turns
    /// video hashing off: videos are then matched by their exact hashes only and marked unreadable.
    /// </summary>
    public VideoHashOptions? Video { get; init; } = new()
    {
        Dihedral = true,
        MaxDuration = TimeSpan.FromHours(2),
        MaxFileSize = 4L << 30,
        Timeout = TimeSpan.FromMinutes(10),
    };

    /// <summary>How video hashes match the vPDQ entries of the lists.</summary>
    public VpdqMatchOptions VideoMatch { get; init; } = new();

    /// <summary>
    /// The root under which a video's decrypted bytes are written for ffmpeg (see <see cref="PrivateMediaFiles"/>: a
    /// private folder per process, a 0600 file deleted at once); default <see cref="PrivateMediaFiles.DefaultRoot"/>.
    /// </summary>
    public string? VideoTempDirectory { get; init; }

    /// <summary>Where processed reports and files, decode failures, matches and jobs are counted, and jobs traced; null counts nothing.</summary>
    public Telemetry.NeedleMetrics? Metrics { get; init; }

    /// <summary>The flood guard's rule: an entry suddenly matching far more files than its history is quarantined.</summary>
    public Lists.FloodGuardOptions FloodGuard { get; init; } = new();
}
