#if NEEDLE_MAGICK
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ImageMagick;
using Needle.Core.Access;
using Needle.Hashing;
using Needle.Hashing.Pdq;
using Needle.Testing;
using Needle.Testing.Images;
using Needle.Testing.Server;
using SkiaSharp;

namespace Needle.Server.Tests;

/// <summary>
/// The formats phones and platforms send, end to end on a real server: a HEIC with GPS routes its report by that GPS
/// and shows as a thumbnail and a reveal; TIFF, JPEG XL and AVIF are hashed; a listed picture shown as one frame in the
/// middle of an animated GIF or APNG is matched, with the frame number, by report processing and by lookup.
/// </summary>
public sealed class PhoneFormatTests
{
    private const string RoutingJson = """
        { "rules": [ { "country": "FR", "queue": "FR: OFMIN", "agency": "OFMIN" } ], "default": { "queue": "international", "agency": "INHOPE" } }
        """;

    [Fact]
    public async Task A_heic_with_gps_routes_its_report_by_it_and_the_other_formats_are_hashed_and_shown()
    {
        await using var server = await RunningServer.StartAsync((options, database) =>
        {
            var path = Path.Combine(Path.GetDirectoryName(database)!, "routing.json");
            File.WriteAllText(path, RoutingJson);
            return options with { RoutingPath = path };
        });
        var submitterKey = (await server.CreateKeyAsync(ApiRole.Submitter)).Key;
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer)).Key;
        (string Name, byte[] Bytes)[] files =
        [
            ("IMG_0001.HEIC", File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot, "testdata", "formats", "lyon_gps.heic"))),
            ("scan.tif", Encode("p04_flowers.png", MagickFormat.Tiff, 100)),
            ("photo.jxl", Encode("p03_flower.png", MagickFormat.Jxl, 90)),
            ("photo.avif", Encode("p05_branches.png", MagickFormat.Avif, 90)),
        ];

        var id = await SubmitAsync(server.Client(submitterKey), files);
        var report = await EndToEndTests.PollProcessedAsync(server.Client(reviewerKey), id);

        var stored = report["files"]!.AsArray();
        Assert.Equal(["heif", "tiff", "jpegxl", "avif"], stored.Select(f => f!["format"]!.GetValue<string>()));
        Assert.All(stored, f => Assert.Equal("hashed", f!["state"]!.GetValue<string>()));
        Assert.All(stored, f => Assert.NotNull(f!["hashes"]!["pdq"]));
        Assert.Equal((640, 480), (stored[0]!["width"]!.GetValue<int>(), stored[0]!["height"]!.GetValue<int>()));

        // The HEIC's EXIF (read by MetadataExtractor) puts it in Lyon; the report is routed there.
        var gps = stored[0]!["clues"]!["gps"]!;
        Assert.Equal(45.764, gps["latitude"]!.GetValue<double>(), 4);
        Assert.Equal(4.8357, gps["longitude"]!.GetValue<double>(), 4);
        Assert.Equal("FR", gps["country"]!.GetValue<string>());
        var jurisdiction = report["jurisdiction"]!;
        Assert.Equal(("FR", "FR: OFMIN", "gps"), (jurisdiction["country"]!.GetValue<string>(), jurisdiction["queue"]!.GetValue<string>(), jurisdiction["basis"]!.GetValue<string>()));
        Assert.Equal("IMG_0001.HEIC", Assert.Single(jurisdiction["evidence"]!.AsArray())!["originalName"]!.GetValue<string>());

        // Thumbnails and reveals decode them through the same guarded decoder.
        using var reviewer = await ProtectedImageTests.SignedInAsync(server, reviewerKey);
        foreach (var file in stored)
        {
            var fileId = file!["id"]!.GetValue<string>();
            var thumbnail = await reviewer.GetAsync($"/web/files/{fileId}/thumbnail");
            Assert.Equal(HttpStatusCode.OK, thumbnail.StatusCode);
            using (var shown = SKBitmap.Decode(await thumbnail.Content.ReadAsByteArrayAsync()))
            {
                Assert.True(shown is not null && Math.Max(shown.Width, shown.Height) <= 96, $"{fileId}: {shown?.Width}x{shown?.Height}");
            }

            Assert.Equal(HttpStatusCode.OK, (await reviewer.GetAsync($"/web/files/{fileId}/reveal")).StatusCode);
        }
    }

    [Fact]
    public async Task A_listed_picture_shown_as_one_frame_in_the_middle_of_an_animated_gif_is_matched_with_its_frame_number()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitterKey = (await server.CreateKeyAsync(ApiRole.Submitter)).Key;
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer)).Key;

        // The list holds the PDQ of the picture itself (a PNG); the GIF shows it as frame 2 of 5, between other photos.
        var frames = TestAnimations.Frames();
        using var known = new ImageDecoder().Decode(TestAnimations.Png(frames[2]), "known.png");
        var knownPdq = new PdqHasher().Hash(known).Hash.ToString();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "known-pictures", kind = "known" })).StatusCode);
        var added = await admin.PostAsJsonAsync("/api/v1/lists/known-pictures/entries",
            new { entries = new[] { new { signalType = "pdq", value = knownPdq, label = "frame-picture" } } });
        Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());

        var gif = TestAnimations.Write(MagickFormat.Gif, frames);
        var id = await SubmitAsync(server.Client(submitterKey), [("funny.gif", gif)]);
        var report = await EndToEndTests.PollProcessedAsync(server.Client(reviewerKey), id);

        var file = Assert.Single(report["files"]!.AsArray())!;
        Assert.Equal(("hashed", "gif"), (file["state"]!.GetValue<string>(), file["format"]!.GetValue<string>()));
        var match = Assert.Single(file["matches"]!.AsArray())!;
        Assert.Equal(("known-pictures", "frame-picture", "pdq"), (match["list"]!.GetValue<string>(), match["label"]!.GetValue<string>(), match["signalType"]!.GetValue<string>()));
        Assert.InRange(match["distance"]!.GetValue<double>(), 0, 31);
        var video = match["video"]!;
        Assert.Equal("frame", video["rule"]!.GetValue<string>());
        Assert.Equal(2, video["frame"]!.GetValue<int>());
        Assert.Equal(0.2, video["segments"]![0]!["queryStart"]!.GetValue<double>(), 3);
        Assert.Equal(1, report["matchedFileCount"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_listed_picture_as_a_middle_frame_is_found_by_lookup_in_a_gif_and_by_report_in_an_apng_with_its_frame_number()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var frames = TestAnimations.Frames();
        using var known = new ImageDecoder().Decode(TestAnimations.Png(frames[2]), "known.png");
        var knownPdq = new PdqHasher().Hash(known).Hash.ToString();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "known-pictures", kind = "known" })).StatusCode);
        var added = await admin.PostAsJsonAsync("/api/v1/lists/known-pictures/entries",
            new { entries = new[] { new { signalType = "pdq", value = knownPdq, label = "frame-picture" } } });
        Assert.True(added.IsSuccessStatusCode, await added.Content.ReadAsStringAsync());

        // The synchronous lookup matches every frame of a GIF, as report processing does.
        var gif = new ByteArrayContent(TestAnimations.Write(MagickFormat.Gif, frames));
        gif.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var form = new MultipartFormDataContent { { gif, "file", "funny.gif" } };
        var lookup = await RunningServer.JsonAsync(await submitter.PostAsync("/api/v1/lookup", form));
        var result = lookup["results"]![0]!;
        Assert.Equal("match", result["status"]!.GetValue<string>());
        var found = Assert.Single(result["matches"]!.AsArray())!;
        Assert.Equal(("frame-picture", 2), (found["label"]!.GetValue<string>(), found["frame"]!.GetValue<int>()));

        // An APNG (Needle's own frame reader) in a report: frame 2 of 5 matched, with its number and time.
        var id = await SubmitAsync(submitter, [("funny.png", TestApng.Write(frames))]);
        var report = await EndToEndTests.PollProcessedAsync(reviewer, id);
        var file = Assert.Single(report["files"]!.AsArray())!;
        Assert.Equal(("hashed", "png"), (file["state"]!.GetValue<string>(), file["format"]!.GetValue<string>()));
        var match = Assert.Single(file["matches"]!.AsArray())!;
        Assert.Equal("frame-picture", match["label"]!.GetValue<string>());
        Assert.InRange(match["distance"]!.GetValue<double>(), 0, 31);
        Assert.Equal(2, match["video"]!["frame"]!.GetValue<int>());
        Assert.Equal(0.2, match["video"]!["segments"]![0]!["queryStart"]!.GetValue<double>(), 3);
    }

    private static byte[] Encode(string photo, MagickFormat format, int quality)
    {
        Assert.True(ImageDecoder.SecondDecoderAvailable);
        using var image = new MagickImage(File.ReadAllBytes(TestPaths.PdqFile(Path.Combine("photos", photo))), new MagickReadSettings { Format = MagickFormat.Png });
        image.Quality = (uint)quality;
        return image.ToByteArray(format);
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, (string Name, byte[] Bytes)[] files)
    {
        var report = new
        {
            externalId = "PHONE-FORMATS",
            incidentType = "child-pornography",
            files = files.Select((f, i) => new { part = $"f{i}", originalName = f.Name }).ToArray(),
        };
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < files.Length; i++)
        {
            var content = new ByteArrayContent(files[i].Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(content, $"f{i}", files[i].Name);
        }

        var response = await client.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }
}
#endif
