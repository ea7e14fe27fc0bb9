using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Needle.Core.Access;
using Needle.Geo;
using Needle.Storage.Sqlite;
using Needle.Testing.Images;
using Needle.Testing.Metadata;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Location clues end to end on a real server and SQLite file: per-file metadata clues, GPS and IP geolocation,
/// jurisdiction routing with its evidence, the listing's filters, and the schema upgrade of an old database.
/// </summary>
public sealed class ClueTests
{
    private const string RipeNcc = "193.0.6.139"; // RIPE NCC's own network (Amsterdam): NL in the IP database
    private static readonly (double, double) Lyon = (45.7640, 4.8357);
    private static readonly (double, double) Ottawa = (45.4215, -75.6972);

    private const string RoutingJson = """
        {
          "rules": [
            { "country": "CA", "region": "CA-ON", "queue": "CA: OPP", "agency": "OPP" },
            { "country": "FR", "queue": "FR: OFMIN", "agency": "OFMIN" }
          ],
          "default": { "queue": "international", "agency": "INHOPE" }
        }
        """;

    private static Func<NeedleServerOptions, string, NeedleServerOptions> WithRouting(Func<NeedleServerOptions, string, NeedleServerOptions>? more = null) => (options, database) =>
    {
        var path = Path.Combine(Path.GetDirectoryName(database)!, "routing.json");
        File.WriteAllText(path, RoutingJson);
        options = options with { RoutingPath = path };
        return more?.Invoke(options, database) ?? options;
    };

    /// <summary>A 640x480 photo with camera EXIF and a GPS fix; its EXIF thumbnail shows another photo.</summary>
    private static byte[] CameraJpeg((double, double) gps) => JpegMetadataWriter.Splice(
        TestJpegs.Photo("p01_keong_macan.png", 640, 480),
        JpegMetadataWriter.ExifSegment(new ExifSpec
        {
            Make = "NIKON CORPORATION",
            Model = "NIKON D750",
            Software = "Ver.1.10",
            Artist = "Test Artist",
            DateTimeOriginal = "2024:06:15 10:20:30",
            OffsetTimeOriginal = "+02:00",
            BodySerialNumber = "6012345",
            LensSerialNumber = "221133",
            Gps = gps,
            AltitudeMetres = 173.5,
            GpsTime = new DateTime(2024, 6, 15, 8, 20, 30, DateTimeKind.Utc),
            Thumbnail = TestJpegs.Photo("p04_flowers.png", 160, 120, quality: 80),
        }));

    private static string ExpectedDatabase()
    {
        using var database = IpCountryDatabase.Open(GeoDataPaths.DefaultIpDatabase);
        return $"geo-whois-asn-country {database.BuildDate:yyyy-MM-dd}";
    }

    [Fact]
    public async Task Reports_get_file_clues_and_a_jurisdiction_with_its_evidence_and_the_listing_filters_on_it()
    {
        await using var server = await RunningServer.StartAsync(WithRouting());
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        // 1. A JPEG taken in Lyon, plus a JPEG with a garbled EXIF block.
        var garbled = JpegMetadataWriter.Splice(TestJpegs.Photo("p03_flower.png", 320, 240), JpegMetadataWriter.GarbledExifSegment("truncated-ifd"));
        var lyon = await SubmitAsync(submitter, new { externalId = "lyon", files = new object[] { new { part = "f1", originalName = "lyon.jpg" }, new { part = "f2", originalName = "garbled.jpg" } } },
            ("f1", "lyon.jpg", CameraJpeg(Lyon)), ("f2", "garbled.jpg", garbled));

        // 2. Hashes only, with an upload from RIPE NCC's network (NL) and a login from nowhere known.
        var ip = await SubmitJsonAsync(submitter, new
        {
            externalId = "ip-only",
            reportedPerson = new { ipCaptureEvents = new object[] { new { ip = "10.1.2.3", eventName = "login" }, new { ip = RipeNcc, eventName = "upload", at = "2026-02-28T08:00:00Z" } } },
            files = new object[] { new { originalName = "x.jpg", hashes = new { md5 = new string('a', 32) } } },
        });

        // 3. No clue at all.
        var none = await SubmitJsonAsync(submitter, new { externalId = "nothing", files = new object[] { new { originalName = "y.jpg", hashes = new { md5 = new string('b', 32) } } } });

        // 4. Conflicting clues: a photo taken in Ottawa, uploaded from the Netherlands.
        var conflict = await SubmitAsync(submitter, new
        {
            externalId = "conflict",
            reportedPerson = new { ipCaptureEvents = new object[] { new { ip = RipeNcc, eventName = "upload" } } },
            files = new object[] { new { part = "f1", originalName = "ottawa.jpg" } },
        }, ("f1", "ottawa.jpg", CameraJpeg(Ottawa)));

        // --- 1: file clues FR / FR-ARA, routed to the FR queue on the GPS of lyon.jpg.
        var report = await EndToEndTests.PollProcessedAsync(reviewer, lyon);
        var files = report["files"]!.AsArray();
        var clues = files[0]!["clues"]!;
        var gps = clues["gps"]!;
        Assert.Equal(45.764, gps["latitude"]!.GetValue<double>(), 4);
        Assert.Equal(4.8357, gps["longitude"]!.GetValue<double>(), 4);
        Assert.Equal(173.5, gps["altitudeMetres"]!.GetValue<double>(), 1);
        Assert.Equal("FR", gps["country"]!.GetValue<string>());
        Assert.Equal("FR-ARA", gps["region"]!.GetValue<string>());
        Assert.Equal("2024-06-15T10:20:30+02:00", clues["captured"]!.GetValue<string>());
        Assert.Equal("NIKON CORPORATION", clues["cameraMake"]!.GetValue<string>());
        Assert.Equal("NIKON D750", clues["cameraModel"]!.GetValue<string>());
        Assert.Equal("6012345", clues["bodySerialNumber"]!.GetValue<string>());
        Assert.Equal("221133", clues["lensSerialNumber"]!.GetValue<string>());
        Assert.Equal("Ver.1.10", clues["software"]!.GetValue<string>());
        Assert.Contains(clues["names"]!.AsArray(), n => n!["name"]!.GetValue<string>() == "Test Artist");
        Assert.True(clues["thumbnail"]!["differs"]!.GetValue<bool>(), clues["thumbnail"]!.ToJsonString());
        Assert.True(clues["thumbnail"]!["distance"]!.GetValue<int>() > 31);
        Assert.Null(clues["metadataError"]);

        // Broken EXIF: the file is still hashed; the metadata error is reported.
        Assert.Equal("hashed", files[1]!["state"]!.GetValue<string>());
        Assert.NotNull(files[1]!["hashes"]!["pdq"]);
        Assert.False(string.IsNullOrWhiteSpace(files[1]!["clues"]!["metadataError"]?.GetValue<string>()));
        Assert.Null(files[1]!["clues"]!["gps"]);

        var jurisdiction = report["jurisdiction"]!;
        Assert.Equal("FR", jurisdiction["country"]!.GetValue<string>());
        Assert.Equal("FR-ARA", jurisdiction["region"]!.GetValue<string>());
        Assert.Equal("FR: OFMIN", jurisdiction["queue"]!.GetValue<string>());
        Assert.Equal("OFMIN", jurisdiction["agency"]!.GetValue<string>());
        Assert.Equal("gps", jurisdiction["basis"]!.GetValue<string>());
        var evidence = Assert.Single(jurisdiction["evidence"]!.AsArray())!;
        Assert.Equal("gps", evidence["kind"]!.GetValue<string>());
        Assert.Equal(files[0]!["id"]!.GetValue<string>(), evidence["fileId"]!.GetValue<string>());
        Assert.Equal("lyon.jpg", evidence["originalName"]!.GetValue<string>());
        Assert.Equal(45.764, evidence["lat"]!.GetValue<double>(), 4);
        Assert.Equal("FR", evidence["country"]!.GetValue<string>());
        Assert.Equal("FR-ARA", evidence["region"]!.GetValue<string>());
        Assert.Empty(jurisdiction["conflicts"]!.AsArray());

        // --- 2: hashes only, routed on the upload IP, naming the database and its date.
        report = await EndToEndTests.PollProcessedAsync(reviewer, ip);
        Assert.Null(report["files"]![0]!["clues"]);
        jurisdiction = report["jurisdiction"]!;
        Assert.Equal("NL", jurisdiction["country"]!.GetValue<string>());
        Assert.Equal("ip-upload", jurisdiction["basis"]!.GetValue<string>());
        Assert.Equal("international", jurisdiction["queue"]!.GetValue<string>());
        Assert.Equal("default", jurisdiction["rule"]!.GetValue<string>());
        var ipEvidence = jurisdiction["evidence"]!.AsArray();
        Assert.Equal(2, ipEvidence.Count);
        var upload = ipEvidence.Single(e => e!["event"]!.GetValue<string>() == "upload")!;
        Assert.Equal("ip", upload["kind"]!.GetValue<string>());
        Assert.Equal(RipeNcc, upload["ip"]!.GetValue<string>());
        Assert.Equal("NL", upload["country"]!.GetValue<string>());
        Assert.Equal(DateTimeOffset.Parse("2026-02-28T08:00:00Z", System.Globalization.CultureInfo.InvariantCulture), upload["at"]!.GetValue<DateTimeOffset>());
        Assert.Equal(ExpectedDatabase(), upload["database"]!.GetValue<string>());
        Assert.StartsWith("193.0.", upload["network"]!.GetValue<string>(), StringComparison.Ordinal);
        var login = ipEvidence.Single(e => e!["event"]!.GetValue<string>() == "login")!;
        Assert.Null(login["country"]); // a private address has no country

        // --- 3: no clue: the default queue.
        report = await EndToEndTests.PollProcessedAsync(reviewer, none);
        jurisdiction = report["jurisdiction"]!;
        Assert.Equal("international", jurisdiction["queue"]!.GetValue<string>());
        Assert.Equal("INHOPE", jurisdiction["agency"]!.GetValue<string>());
        Assert.Equal("none", jurisdiction["basis"]!.GetValue<string>());
        Assert.Null(jurisdiction["country"]);
        Assert.Empty(jurisdiction["evidence"]!.AsArray());

        // --- 4: GPS (CA-ON) beats the upload IP (NL); both are listed, NL as a conflict.
        report = await EndToEndTests.PollProcessedAsync(reviewer, conflict);
        jurisdiction = report["jurisdiction"]!;
        Assert.Equal("CA", jurisdiction["country"]!.GetValue<string>());
        Assert.Equal("CA-ON", jurisdiction["region"]!.GetValue<string>());
        Assert.Equal("CA: OPP", jurisdiction["queue"]!.GetValue<string>());
        Assert.Equal("gps", jurisdiction["basis"]!.GetValue<string>());
        Assert.Equal(["NL"], jurisdiction["conflicts"]!.AsArray().Select(c => c!.GetValue<string>()));
        Assert.Equal(["gps:CA", "ip:NL"], jurisdiction["evidence"]!.AsArray().Select(e => $"{e!["kind"]}:{e["country"]}"));

        // The listing filters by queue and by country, and shows both on each row.
        Assert.Equal([lyon], await ListIdsAsync(reviewer, "jurisdiction=" + Uri.EscapeDataString("FR: OFMIN")));
        Assert.Equal([conflict], await ListIdsAsync(reviewer, "jurisdiction=" + Uri.EscapeDataString("CA: OPP")));
        Assert.Equal([none, ip], await ListIdsAsync(reviewer, "jurisdiction=international"));
        Assert.Equal([ip], await ListIdsAsync(reviewer, "country=nl"));
        Assert.Equal([ip], await ListIdsAsync(reviewer, "jurisdiction=international&country=NL"));
        Assert.Empty(await ListIdsAsync(reviewer, "jurisdiction=nowhere"));
        var row = (await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/reports?country=CA")))["items"]![0]!;
        Assert.Equal("CA: OPP", row["jurisdictionQueue"]!.GetValue<string>());
        Assert.Equal("CA", row["jurisdictionCountry"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync("/api/v1/reports?country=France")).StatusCode);
    }

    [Fact]
    public async Task A_missing_ip_database_is_a_warning_at_start_and_ip_clues_are_skipped()
    {
        var missing = Path.Combine(Path.GetTempPath(), "needle-no-such-" + Guid.NewGuid().ToString("N") + ".mmdb");
        await using var server = await RunningServer.StartAsync(WithRouting((o, _) => o with { IpDatabasePath = missing }));
        Assert.Contains($"no IP-to-country database at {missing}", server.Options.Warnings!.ToString(), StringComparison.Ordinal);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        var id = await SubmitAsync(submitter, new
        {
            reportedPerson = new { ipCaptureEvents = new object[] { new { ip = RipeNcc, eventName = "upload" } } },
            files = new object[] { new { part = "f1", originalName = "lyon.jpg" } },
        }, ("f1", "lyon.jpg", CameraJpeg(Lyon)));
        var jurisdiction = (await EndToEndTests.PollProcessedAsync(reviewer, id))["jurisdiction"]!;

        // GPS still decides; the IP event is listed, unplaced, saying why.
        Assert.Equal(("FR", "FR: OFMIN"), (jurisdiction["country"]!.GetValue<string>(), jurisdiction["queue"]!.GetValue<string>()));
        var ipEvidence = jurisdiction["evidence"]!.AsArray().Single(e => e!["kind"]!.GetValue<string>() == "ip")!;
        Assert.Null(ipEvidence["country"]);
        Assert.Equal("no IP database", ipEvidence["note"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_routing_file_stops_the_start_with_its_reason()
    {
        var folder = Directory.CreateTempSubdirectory("needle-routing-").FullName;
        try
        {
            var routing = Path.Combine(folder, "routing.json");
            await File.WriteAllTextAsync(routing, """{ "rules": [ { "country": "FRA", "queue": "FR" } ] }""");
            var error = await Assert.ThrowsAsync<InvalidDataException>(() => NeedleServer.BuildAsync(new NeedleServerOptions
            {
                Store = services => services.AddSqliteStore(Path.Combine(folder, "needle.db")),
                RoutingPath = routing,
                Notices = TextWriter.Null,
                Warnings = TextWriter.Null,
            }));
            Assert.Contains("two-letter", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_database_of_the_previous_schema_is_upgraded_at_start()
    {
        var reportId = Guid.NewGuid();
        await using var server = await RunningServer.StartAsync(WithRouting((options, database) =>
        {
            // The file as schema version 1 left it (its migration replayed alone), with a processed report.
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Pooling = false }.ToString());
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Migrations.Steps[0] + """
                PRAGMA user_version = 1;
                INSERT INTO reports (id, external_id, submission, status, escalate, received_at, processed_at, submitted_by, file_count)
                VALUES (@id, 'old', '{"externalId":"old","files":[]}', 1, 0, 638000000000000000, 638000000000000000, @by, 0);
                """;
            command.Parameters.AddWithValue("@id", reportId.ToString("D"));
            command.Parameters.AddWithValue("@by", Guid.NewGuid().ToString("D"));
            command.ExecuteNonQuery();
            return options;
        }));

        Assert.Equal((long)SqliteNeedleStore.SchemaVersion, await ScalarAsync(server.DatabasePath, "PRAGMA user_version;"));
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var old = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{reportId}"));
        Assert.Equal("old", old["externalId"]!.GetValue<string>());
        Assert.Null(old["jurisdiction"]);
        Assert.Empty((await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/reports?jurisdiction=international")))["items"]!.AsArray());

        // New reports on the upgraded file get their jurisdiction.
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var id = await SubmitJsonAsync(submitter, new { files = new object[] { new { originalName = "y.jpg", hashes = new { md5 = new string('b', 32) } } } });
        Assert.Equal("international", (await EndToEndTests.PollProcessedAsync(reviewer, id))["jurisdiction"]!["queue"]!.GetValue<string>());
        Assert.Equal([id], await ListIdsAsync(reviewer, "jurisdiction=international"));
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, object report, params (string Part, string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        foreach (var (part, name, bytes) in files)
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, part, name);
        }

        var response = await client.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    private static async Task<Guid> SubmitJsonAsync(HttpClient client, object report)
    {
        var response = await client.PostAsJsonAsync("/api/v1/reports", report);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    private static async Task<List<Guid>> ListIdsAsync(HttpClient client, string query)
    {
        var response = await client.GetAsync("/api/v1/reports?" + query);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return [.. (await RunningServer.JsonAsync(response))["items"]!.AsArray().Select(r => Guid.Parse(r!["id"]!.GetValue<string>()))];
    }

    private static async Task<object?> ScalarAsync(string databasePath, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
