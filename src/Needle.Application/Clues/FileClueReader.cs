using Needle.Core.Clues;
using Needle.Hashing;
using Needle.Metadata;

namespace Needle.Application.Clues;

/// <summary>
/// Reads the clues of one file from its decrypted bytes. One per job (it owns a PDQ hasher for thumbnails, which is not
/// thread-safe); the <see cref="GeoLocator"/> it uses is shared.
/// </summary>
public sealed class FileClueReader
{
    /// <summary>PDQ's usual match threshold: a scaled copy stays well under it, another picture lands far over.</summary>
    public const int ThumbnailDiffersAbove = 31;

    private readonly GeoLocator? _geo;
    private readonly MediaFileHasher _thumbnailHasher;

    /// <summary>A reader placing GPS positions with <paramref name="geo"/> and hashing thumbnails with <paramref name="decoder"/>.</summary>
    /// <param name="geo">Places GPS positions in countries and regions; null leaves them unplaced.</param>
    /// <param name="decoder">Decodes EXIF thumbnails for their PDQ, with the same limits as the main image.</param>
    public FileClueReader(GeoLocator? geo, ImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        _geo = geo;
        _thumbnailHasher = new MediaFileHasher(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq, Decode = decoder.Options }, decoder);
    }

    /// <summary>
    /// The clues of <paramref name="file"/>; <paramref name="mainPdq"/> (the image's own PDQ) is compared with the
    /// thumbnail's. Never throws for bad metadata: the reason lands in <see cref="FileClues.MetadataError"/>.
    /// </summary>
    public FileClues Read(ReadOnlyMemory<byte> file, PdqResult? mainPdq, string name, CancellationToken cancellationToken)
    {
        PhotoMetadata metadata;
        try
        {
            metadata = PhotoMetadataReader.Read(file);
        }
#pragma warning disable CA1031 // A broken metadata block must never fail the file: the reason is kept instead.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            return new FileClues { MetadataError = $"{e.GetType().Name}: {e.Message}" };
        }

        GpsClue? gps = null;
        if (metadata.Gps is { } fix)
        {
            var place = _geo?.Place(fix.Latitude, fix.Longitude);
            gps = new GpsClue(
                Math.Round(fix.Latitude, 7),
                Math.Round(fix.Longitude, 7),
                fix.AltitudeMetres is { } altitude ? Math.Round(altitude, 2) : null,
                fix.TimestampUtc is { } time ? new DateTimeOffset(DateTime.SpecifyKind(time, DateTimeKind.Utc)) : null,
                place?.CountryCode,
                place?.CountryName,
                place?.Region?.Code,
                place?.Region?.Name);
        }

        return new FileClues
        {
            Gps = gps,
            Captured = metadata.Captured?.ToString(),
            CapturedHasOffset = metadata.Captured is { } captured ? captured.Offset is not null : null,
            CameraMake = metadata.CameraMake,
            CameraModel = metadata.CameraModel,
            BodySerialNumber = metadata.BodySerialNumber,
            LensModel = metadata.LensModel,
            LensSerialNumber = metadata.LensSerialNumber,
            Software = metadata.Software,
            ImageUniqueId = metadata.ImageUniqueId,
            Names = [.. metadata.Names.Select(static n => new NameClue(n.Source, n.Name))],
            Thumbnail = metadata.Thumbnail is { } thumbnail ? Compare(thumbnail, mainPdq, name, cancellationToken) : null,
            MetadataError = metadata.MetadataError,
        };
    }

    private ThumbnailClue Compare(EmbeddedThumbnail thumbnail, PdqResult? mainPdq, string name, CancellationToken cancellationToken)
    {
        var hashed = _thumbnailHasher.HashBytes(thumbnail.Jpeg, name + " (EXIF thumbnail)", cancellationToken);
        if (hashed.Pdq is not { } pdq)
        {
            return new ThumbnailClue(thumbnail.Length, null, null, null, null, hashed.Error ?? "the thumbnail could not be hashed");
        }

        if (mainPdq is not { } main)
        {
            return new ThumbnailClue(thumbnail.Length, pdq.Hash.ToString(), pdq.Quality, null, null, null);
        }

        var distance = pdq.Hash.HammingDistance(main.Hash);
        bool? differs = pdq.IsUseful && main.IsUseful ? distance > ThumbnailDiffersAbove : null;
        return new ThumbnailClue(thumbnail.Length, pdq.Hash.ToString(), pdq.Quality, distance, differs, null);
    }
}
