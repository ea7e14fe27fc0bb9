using Needle.Geo;
using Needle.Hashing;
using Needle.Metadata;

namespace Needle.Cli.Clues;

/// <summary>How the EXIF thumbnail compares with the main image, by PDQ.</summary>
/// <param name="Bytes">The thumbnail's size in bytes.</param>
/// <param name="Pdq">Its PDQ hash, when it decoded.</param>
/// <param name="Distance">Hamming distance to the main image's PDQ, when both hashes exist.</param>
/// <param name="Differs">
/// Distance over <see cref="ThumbnailComparison.DiffersAbove"/> with both hashes of useful quality; null when that
/// cannot be judged (no main PDQ, a flat image, an undecodable thumbnail).
/// </param>
/// <param name="Error">Why the thumbnail could not be hashed.</param>
internal sealed record ThumbnailComparison(int Bytes, PdqResult? Pdq, int? Distance, bool? Differs, string? Error)
{
    /// <summary>PDQ's usual match threshold: a scaled copy stays well under it, another picture lands far over.</summary>
    public const int DiffersAbove = 31;
}

/// <summary>Everything a file tells about where, when and who, beside its hashes.</summary>
internal sealed record FileClues(PhotoMetadata Metadata, PlaceResult? Place, ThumbnailComparison? Thumbnail)
{
    public bool? ThumbnailDiffers => Thumbnail?.Differs;
}

/// <summary>
/// The reverse geocoder, loaded on first use (most files have no GPS) and shared by all threads of one command. When
/// the boundary data cannot be loaded, says so once and answers nothing.
/// </summary>
internal sealed class SharedGeocoder(Action<string> warn)
{
    private readonly Lazy<ReverseGeocoder?> _geocoder = new(() =>
    {
        try
        {
            return ReverseGeocoder.LoadDefault();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
        {
            warn($"warning: GPS positions will not be placed in countries: {e.Message}");
            return null;
        }
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public PlaceResult? Lookup(GpsFix gps) => _geocoder.Value?.Lookup(gps.Latitude, gps.Longitude);
}

/// <summary>
/// Reads a file once, hashes it and reads its clues from the same bytes. One per worker thread: it owns a PDQ hasher
/// for thumbnails.
/// </summary>
internal sealed class CluedFileHasher(MediaFileHasher hasher, ImageDecoder decoder, SharedGeocoder? geocoder)
{
    private readonly MediaFileHasher _thumbnailHasher = new(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq, Decode = decoder.Options }, decoder);

    /// <summary>The plain hasher, for runs that want no clues.</summary>
    public MediaFileHasher Hasher => hasher;

    /// <summary>The hashes, and the clues unless the file could not be read at all.</summary>
    public (MediaHashResult Hashes, FileClues? Clues) Hash(string path, string displayPath, CancellationToken cancellationToken)
    {
        FileContents contents;
        try
        {
            contents = FileContents.Read(path, decoder.Options.MaxFileBytes, cancellationToken);
        }
        catch (ImageDecodeException ex)
        {
            return (new MediaHashResult { Path = displayPath, Error = ex.Reason, Failure = ex.Failure }, null);
        }

        using (contents)
        {
            var hashes = hasher.HashBytes(contents.Bytes, displayPath, cancellationToken);
            return (hashes, Read(contents.Bytes, hashes.Pdq, displayPath, cancellationToken));
        }
    }

    /// <summary>Clues from bytes already in memory; <paramref name="mainPdq"/> is compared with the thumbnail's.</summary>
    public FileClues Read(ReadOnlyMemory<byte> file, PdqResult? mainPdq, string name, CancellationToken cancellationToken)
    {
        var metadata = PhotoMetadataReader.Read(file);
        var place = metadata.Gps is { } gps ? geocoder?.Lookup(gps) : null;
        return new FileClues(metadata, place, metadata.Thumbnail is { } thumbnail ? Compare(thumbnail, mainPdq, name, cancellationToken) : null);
    }

    private ThumbnailComparison Compare(EmbeddedThumbnail thumbnail, PdqResult? mainPdq, string name, CancellationToken cancellationToken)
    {
        var hashed = _thumbnailHasher.HashBytes(thumbnail.Jpeg, name + " (EXIF thumbnail)", cancellationToken);
        if (hashed.Pdq is not { } pdq)
        {
            return new ThumbnailComparison(thumbnail.Length, null, null, null, hashed.Error);
        }

        if (mainPdq is not { } main)
        {
            return new ThumbnailComparison(thumbnail.Length, pdq, null, null, null);
        }

        var distance = pdq.Hash.HammingDistance(main.Hash);
        bool? differs = pdq.IsUseful && main.IsUseful ? distance > ThumbnailComparison.DiffersAbove : null;
        return new ThumbnailComparison(thumbnail.Length, pdq, distance, differs, null);
    }
}
