using System.Text.Json;
using Needle.Testing.Images;
using Needle.Testing.Metadata;

namespace Needle.Cli.Tests;

/// <summary>
/// Metadata clues end to end: JPEGs with hand-written EXIF (GPS in Lyon, camera serials, an embedded thumbnail) through
/// <c>needle hash --metadata</c>, <c>needle scan</c> and <c>needle geo lookup</c>.
/// </summary>
public sealed class ClueCommandTests : IDisposable
{
    private const string MainPhoto = "p01_keong_macan.png";
    private const string OtherPhoto = "p04_flowers.png";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private static ExifSpec Camera(byte[]? thumbnail, (double, double)? gps = null) => new()
    {
        Make = "NIKON CORPORATION",
        Model = "NIKON D750",
        Software = "Ver.1.10",
        Artist = "Test Artist",
        DateTimeOriginal = "2024:06:15 10:20:30",
        OffsetTimeOriginal = "+02:00",
        BodySerialNumber = "6012345",
        LensSerialNumber = "221133",
        Gps = gps ?? (45.7640, 4.8357),
        GpsTime = new DateTime(2024, 6, 15, 8, 20, 30, DateTimeKind.Utc),
        Thumbnail = thumbnail,
    };

    /// <summary>A 640x480 photo with EXIF; its thumbnail is a 160x120 copy of <paramref name="thumbnailOf"/>.</summary>
    private string WriteCameraJpeg(string name, string thumbnailOf, (double, double)? gps = null)
    {
        var thumbnail = TestJpegs.Photo(thumbnailOf, 160, 120, quality: 80);
        var jpeg = JpegMetadataWriter.Splice(TestJpegs.Photo(MainPhoto, 640, 480), JpegMetadataWriter.ExifSegment(Camera(thumbnail, gps)));
        return _folder.Write(name, jpeg);
    }

    private static JsonElement Metadata(string line) => JsonDocument.Parse(line).RootElement.GetProperty("metadata");

    [Fact]
    public async Task Hash_metadata_reports_place_time_camera_and_a_matching_thumbnail()
    {
        WriteCameraJpeg("lyon.jpg", thumbnailOf: MainPhoto);

        var result = await CliRunner.RunAsync(_folder.Path, "hash", "--format", "jsonl", "--metadata", "lyon.jpg");

        Assert.Equal(0, result.ExitCode);
        var root = JsonDocument.Parse(Assert.Single(result.OutLines)).RootElement;
        Assert.True(root.TryGetProperty("pdq", out _));
        var metadata = root.GetProperty("metadata");
        var gps = metadata.GetProperty("gps");
        Assert.Equal(45.764, gps.GetProperty("lat").GetDouble(), 5);
        Assert.Equal(4.8357, gps.GetProperty("lon").GetDouble(), 5);
        Assert.Equal("2024-06-15T08:20:30Z", gps.GetProperty("time_utc").GetString());
        Assert.Equal("FR", gps.GetProperty("country").GetString());
        Assert.Equal("FR-ARA", gps.GetProperty("region").GetString());
        Assert.Equal("2024-06-15T10:20:30+02:00", metadata.GetProperty("captured").GetString());
        var camera = metadata.GetProperty("camera");
        Assert.Equal("NIKON CORPORATION", camera.GetProperty("make").GetString());
        Assert.Equal("NIKON D750", camera.GetProperty("model").GetString());
        Assert.Equal("6012345", camera.GetProperty("serial").GetString());
        Assert.Equal("221133", camera.GetProperty("lens_serial").GetString());
        Assert.Equal("Ver.1.10", metadata.GetProperty("software").GetString());
        Assert.Equal("Test Artist", metadata.GetProperty("names")[0].GetProperty("name").GetString());
        var thumbnail = metadata.GetProperty("thumbnail");
        Assert.False(thumbnail.GetProperty("thumbnail_differs").GetBoolean());
        Assert.InRange(thumbnail.GetProperty("distance").GetInt32(), 0, 31);
        Assert.False(metadata.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task A_thumbnail_of_another_picture_is_flagged()
    {
        WriteCameraJpeg("edited.jpg", thumbnailOf: OtherPhoto);

        var result = await CliRunner.RunAsync(_folder.Path, "hash", "-f", "jsonl", "--metadata", "edited.jpg");

        Assert.Equal(0, result.ExitCode);
        var thumbnail = Metadata(Assert.Single(result.OutLines)).GetProperty("thumbnail");
        Assert.True(thumbnail.GetProperty("thumbnail_differs").GetBoolean());
        Assert.True(thumbnail.GetProperty("distance").GetInt32() > 31);
    }

    [Fact]
    public async Task Metadata_is_refused_for_csv_with_a_clear_message()
    {
        WriteCameraJpeg("lyon.jpg", thumbnailOf: MainPhoto);
        var result = await CliRunner.RunAsync(_folder.Path, "hash", "--metadata", "lyon.jpg");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--metadata needs --format jsonl", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task A_file_with_garbled_exif_still_hashes_and_reports_the_metadata_error()
    {
        var clean = TestJpegs.Photo(MainPhoto, 320, 240);
        var garbled = JpegMetadataWriter.Splice(clean, JpegMetadataWriter.GarbledExifSegment("ifd0-offset-past-end"));
        _folder.Write("clean.jpg", clean);
        _folder.Write("garbled.jpg", garbled);

        var result = await CliRunner.RunAsync(_folder.Path, "hash", "-f", "jsonl", "--metadata", "clean.jpg", "garbled.jpg");

        Assert.Equal(0, result.ExitCode);
        var lines = result.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(lines[0].GetProperty("pdq").GetString(), lines[1].GetProperty("pdq").GetString()); // metadata does not change the pixels
        Assert.False(lines[0].GetProperty("metadata").TryGetProperty("error", out _));
        Assert.NotEmpty(lines[1].GetProperty("metadata").GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task Hash_output_without_metadata_is_unchanged()
    {
        WriteCameraJpeg("lyon.jpg", thumbnailOf: MainPhoto);
        var result = await CliRunner.RunAsync(_folder.Path, "hash", "-f", "jsonl", "lyon.jpg");
        Assert.Equal(0, result.ExitCode);
        Assert.False(JsonDocument.Parse(Assert.Single(result.OutLines)).RootElement.TryGetProperty("metadata", out _));
    }

    [Fact]
    public async Task Scan_reports_clues_in_jsonl_csv_and_html()
    {
        WriteCameraJpeg("in/lyon.jpg", thumbnailOf: MainPhoto);
        WriteCameraJpeg("in/ottawa_edited.jpg", thumbnailOf: OtherPhoto, gps: (45.4215, -75.6972));
        WriteCameraJpeg("in/atlantic.jpg", thumbnailOf: MainPhoto, gps: (30.0, -40.0));
        _folder.Write("in/plain.jpg", TestJpegs.Photo(OtherPhoto, 320, 240));
        _folder.Write("empty-list.txt", "# nothing known yet\n"u8.ToArray());

        var jsonl = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "empty-list.txt", "--list-format", "text", "-f", "jsonl", "in");
        Assert.Equal(0, jsonl.ExitCode);
        var files = jsonl.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileName(e.GetProperty("path").GetString()!));
        Assert.Equal("FR", files["lyon.jpg"].GetProperty("metadata").GetProperty("gps").GetProperty("country").GetString());
        var ottawa = files["ottawa_edited.jpg"].GetProperty("metadata");
        Assert.Equal("CA", ottawa.GetProperty("gps").GetProperty("country").GetString());
        Assert.Equal("CA-ON", ottawa.GetProperty("gps").GetProperty("region").GetString());
        Assert.True(ottawa.GetProperty("thumbnail").GetProperty("thumbnail_differs").GetBoolean());
        Assert.False(files["atlantic.jpg"].GetProperty("metadata").GetProperty("gps").TryGetProperty("country", out _));
        Assert.False(files["plain.jpg"].GetProperty("metadata").TryGetProperty("gps", out _));

        var csv = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "empty-list.txt", "--list-format", "text", "in");
        Assert.Equal(0, csv.ExitCode);
        var header = csv.OutLines[0].Split(',');
        var rows = csv.OutLines.Skip(1).Select(l => l.Split(',')).ToDictionary(c => Path.GetFileName(c[0]));
        string Column(string file, string name) => rows[file][Array.IndexOf(header, name)];
        Assert.Equal("FR", Column("lyon.jpg", "country"));
        Assert.Equal("FR-ARA", Column("lyon.jpg", "region"));
        Assert.Equal("45.764", Column("lyon.jpg", "gps_lat"));
        Assert.Equal("2024-06-15T10:20:30+02:00", Column("lyon.jpg", "captured"));
        Assert.Equal("6012345", Column("lyon.jpg", "camera_serial"));
        Assert.Equal("false", Column("lyon.jpg", "thumbnail_differs"));
        Assert.Equal("true", Column("ottawa_edited.jpg", "thumbnail_differs"));
        Assert.Equal("", Column("atlantic.jpg", "country"));
        Assert.Equal("", Column("plain.jpg", "gps_lat"));

        var html = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "empty-list.txt", "--list-format", "text", "-f", "html", "in");
        Assert.Equal(0, html.ExitCode);
        Assert.Contains("Clues from metadata", html.Out, StringComparison.Ordinal);
        Assert.Contains("(FR FR-ARA)", html.Out, StringComparison.Ordinal);
        Assert.Contains("DIFFERS", html.Out, StringComparison.Ordinal);
        Assert.Contains("NIKON D750 #6012345", html.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scan_without_clues_has_empty_clue_columns()
    {
        WriteCameraJpeg("in/lyon.jpg", thumbnailOf: MainPhoto);
        _folder.Write("empty-list.txt", "# nothing\n"u8.ToArray());
        var result = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "empty-list.txt", "--list-format", "text", "--no-clues", "-f", "jsonl", "in");
        Assert.Equal(0, result.ExitCode);
        Assert.False(JsonDocument.Parse(Assert.Single(result.OutLines)).RootElement.TryGetProperty("metadata", out _));
    }

    [Fact]
    public async Task Geo_lookup_places_positions_and_says_where_the_answer_comes_from()
    {
        var result = await CliRunner.RunAsync(_folder.Path, "geo", "lookup", "45.764,4.8357", "45.4215,-75.6972", "30,-40");
        Assert.Equal(0, result.ExitCode);
        var answers = result.OutLines.Where(l => !l.StartsWith(' ')).ToArray();
        Assert.Equal(
        [
            "45.764,4.8357: FR France; region FR-ARA Auvergne-Rhône-Alpes; subdivision FR-69 Rhône",
            "45.4215,-75.6972: CA Canada; region CA-ON Ontario",
            "30,-40: no country (at sea, or outside the data)",
        ], answers);
        Assert.Contains("source: country-coder 5.6.1", result.Out, StringComparison.Ordinal);
        Assert.Contains("Natural Earth", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Geo_lookup_of_ip_addresses_gives_the_country_and_the_database_date()
    {
        var result = await CliRunner.RunAsync(_folder.Path, "geo", "lookup", "-f", "json", "193.0.6.139", "2001:12ff::1", "10.0.0.1");
        Assert.Equal(0, result.ExitCode);
        var answers = result.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal("NL", answers[0].GetProperty("country").GetString());
        Assert.Equal("BR", answers[1].GetProperty("country").GetString());
        Assert.Equal(JsonValueKind.Null, answers[2].GetProperty("country").ValueKind);
        var source = answers[0].GetProperty("source");
        Assert.StartsWith("geo-whois-asn-country.mmdb", source.GetProperty("name").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("2026-", source.GetProperty("date").GetString(), StringComparison.Ordinal);
        Assert.Contains("NRO", source.GetProperty("licence").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Geo_lookup_with_a_missing_database_names_the_path()
    {
        var result = await CliRunner.RunAsync(_folder.Path, "geo", "lookup", "--ip-db", "nowhere/countries.mmdb", "8.8.8.8");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(Path.Combine(_folder.Path, "nowhere", "countries.mmdb"), result.Error, StringComparison.Ordinal);
        Assert.Contains("fetch-geodata.sh", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("91,0")]
    [InlineData("paris")]
    [InlineData("1.2.3")]
    public async Task Geo_lookup_refuses_what_is_neither_a_position_nor_an_address(string query)
    {
        var result = await CliRunner.RunAsync(_folder.Path, "geo", "lookup", query, "45.764,4.8357");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"'{query}' is neither", result.Error, StringComparison.Ordinal);
        Assert.StartsWith("45.764,4.8357: FR France", Assert.Single(result.OutLines, l => !l.StartsWith(' ')), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Geo_lookup_answers_positions_when_the_ip_database_is_missing()
    {
        var result = await CliRunner.RunAsync(_folder.Path, "geo", "lookup", "--ip-db", "nowhere/countries.mmdb", "45.764,4.8357", "193.0.6.139");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("45.764,4.8357: FR France", result.OutLines[0], StringComparison.Ordinal);
        Assert.StartsWith("error: 193.0.6.139: the IP-to-country database is missing", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }
}
