using System.Security.Cryptography;
using Needle.Application.Media;
using Needle.Core.Storage;
using Needle.Hashing;
using Needle.Robust;

namespace Needle.Application.Triage;

/// <summary>
/// The keypoints of a stored image seen in a mirror, for triage's robust links: ORB descriptors are not mirror-symmetric,
/// so a mirrored copy is found only by extracting them again from the mirrored picture. Stored features hold the picture
/// as it is; this reads, decrypts and decodes the file (at the size processing used) only when a shortlisted candidate
/// failed the check as it is. Thread-safe.
/// </summary>
public sealed class MirroredFeatureReader
{
    private readonly IReportStore _reports;
    private readonly MediaProtector _protector;
    private readonly ImageDecoder _decoder;
    private readonly int _maxKeypoints;

    /// <summary>A reader of the media in <paramref name="reports"/>, decrypted with <paramref name="protector"/>.</summary>
    /// <param name="reports">Where the encrypted media are read.</param>
    /// <param name="protector">Decrypts them.</param>
    /// <param name="decode">The decode limits (as processing's).</param>
    /// <param name="options">The robust tier's options (keypoints kept).</param>
    /// <param name="time">The clock of the decoder's time limit.</param>
    public MirroredFeatureReader(IReportStore reports, MediaProtector protector, DecodeOptions decode, RobustMatcherOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(reports);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(decode);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        _reports = reports;
        _protector = protector;
        _decoder = new ImageDecoder(decode, time);
        _maxKeypoints = options.MaxKeypoints;
    }

    /// <summary>The mirrored picture's keypoints; null when the media is missing or does not decode.</summary>
    public async Task<LocalFeatures?> ReadAsync(Guid fileId, CancellationToken cancellationToken = default)
    {
        if (await _reports.GetMediaAsync(fileId, cancellationToken).ConfigureAwait(false) is not { } media)
        {
            return null;
        }

        var bytes = _protector.Unprotect(media.EncryptedBytes, fileId);
        try
        {
            using var image = _decoder.DecodeForDisplay(bytes, LocalFeatureExtractor.WorkingSize, fileId.ToString(), cancellationToken);
            return LocalFeatureExtractor.Extract(image, _maxKeypoints, mirror: true);
        }
        catch (ImageDecodeException)
        {
            return null;
        }
        finally
        {
            // Do not leave decrypted media lying in memory longer than needed.
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
