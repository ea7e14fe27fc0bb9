using System.Globalization;
using Needle.Geo;
using Needle.Hashing;
using Needle.Metadata;

namespace Needle.Triage;

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

    public string? CameraMake { get; init; }

    public string? CameraModel { get; init; }

    public string? BodySerialNumber { get; init; }

    public string? LensModel { get; init; }

    public string? LensSerialNumber { get; init; }

    public string? Software { get; init; }

    public string? ImageUniqueId { get; init; }

    /// <summary>Names of people the metadata holds, each with the field it came from.</summary>
    public IReadOnlyList<NameClue> Names { get; init; } = [];

    /// <summary>The embedded EXIF thumbnail compared with the image, when there is one.</summary>
    public ThumbnailClue? Thumbnail { get; init; }

    /// <summary>Why (some of) the metadata could not be read; the file is hashed and matched regardless.</summary>
    public string? MetadataError { get; init; }
}

/// <summary>A GPS fix and where it is.</summary>
/// <param name="Latitude">Signed decimal degrees (WGS 84).</param>
/// <param name="Longitude">Signed decimal degrees.</param>
/// <param name="AltitudeMetres">Above sea level, when recorded.</param>
/// <param name="TimeUtc">The GPS fix's own UTC time, when recorded.</param>
/// <param name="Country">ISO 3166-1 alpha-2, null at sea or when the boundary data is not available.</param>
/// <param name="CountryName">English name of <paramref name="Country"/>.</param>
/// <param name="Region">ISO 3166-2 first-level subdivision (FR-ARA, CA-ON), when known.</param>
/// <param name="RegionName">English name of the region.</param>
public sealed record GpsClue(
    double Latitude,
    double Longitude,
    double? AltitudeMetres,
    DateTimeOffset? TimeUtc,
    string? Country,
    string? CountryName,
    string? Region,
    string? RegionName);

/// <summary>A person's name found in the metadata; <paramref name="Source"/> is e.g. <c>exif:artist</c>, <c>xmp:creator</c>.</summary>
public sealed record NameClue(string Source, string Name);

/// <summary>The EXIF thumbnail against the main image, by PDQ.</summary>
/// <param name="Bytes">The thumbnail's size.</param>
/// <param name="Pdq">Its PDQ hash (hex), when it decoded.</param>
/// <param name="PdqQuality">Its PDQ quality.</param>
/// <param name="Distance">Hamming distance to the main image's PDQ, when both exist.</param>
/// <param name="Differs">
/// Distance over <see cref="FileClueReader.ThumbnailDiffersAbove"/> with both qualities at least 50: the thumbnail
/// shows another picture (often the original before an edit). Null when it cannot be judged.
/// </param>
/// <param name="Error">Why the thumbnail could not be hashed.</param>
public sealed record ThumbnailClue(int Bytes, string? Pdq, int? PdqQuality, int? Distance, bool? Differs, string? Error);

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

/// <summary>
/// The offline geodata of one server, shared by all workers: the reverse geocoder (loaded on first use: most reports
/// carry no GPS) and the IP-to-country database (opened on first use). When either cannot be loaded, it says so once
/// through the warning callback and answers nothing, so processing never fails for missing geodata.
/// </summary>
public sealed class GeoLocator : IDisposable
{
    private readonly Lazy<ReverseGeocoder?> _geocoder;
    private readonly Lazy<IpCountryDatabase?> _ipDatabase;

    /// <param name="ipDatabasePath">The .mmdb file; null for no IP clues.</param>
    /// <param name="warn">Where to say that some data could not be loaded.</param>
    /// <param name="boundaryDirectory">The boundary files; default <see cref="GeoDataPaths.BoundaryDirectory"/>.</param>
    public GeoLocator(string? ipDatabasePath, Action<string> warn, string? boundaryDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(warn);
        IpDatabasePath = ipDatabasePath is null ? null : Path.GetFullPath(ipDatabasePath);
        _geocoder = new Lazy<ReverseGeocoder?>(() =>
        {
            try
            {
                return ReverseGeocoder.Load(boundaryDirectory ?? GeoDataPaths.BoundaryDirectory);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or System.Text.Json.JsonException)
            {
                warn($"warning: GPS positions will not be placed in countries: {e.Message}");
                return null;
            }
        }, LazyThreadSafetyMode.ExecutionAndPublication);
        _ipDatabase = new Lazy<IpCountryDatabase?>(() =>
        {
            if (IpDatabasePath is null)
            {
                return null;
            }

            try
            {
                return IpCountryDatabase.Open(IpDatabasePath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                warn($"warning: IP addresses will not be placed in countries (no IP clues): {e.Message}");
                return null;
            }
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The IP database path, full; null when IP clues are off.</summary>
    public string? IpDatabasePath { get; }

    /// <summary>True when the IP database file exists (checked at server start to warn early).</summary>
    public bool IpDatabaseExists => IpDatabasePath is not null && File.Exists(IpDatabasePath);

    /// <summary>The country and region of a position, or null at sea or without boundary data.</summary>
    public PlaceResult? Place(double latitude, double longitude) => _geocoder.Value?.Lookup(latitude, longitude);

    /// <summary>The IP database, or null when it is not available.</summary>
    public IpCountryDatabase? IpDatabase => _ipDatabase.Value;

    /// <summary>How evidence names the IP database: its file name and build date, e.g. <c>geo-whois-asn-country 2026-06-17</c>.</summary>
    public static string Describe(IpCountryDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        return string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileNameWithoutExtension(database.Path)} {database.BuildDate:yyyy-MM-dd}");
    }

    public void Dispose()
    {
        if (_ipDatabase.IsValueCreated)
        {
            _ipDatabase.Value?.Dispose();
        }
    }
}
