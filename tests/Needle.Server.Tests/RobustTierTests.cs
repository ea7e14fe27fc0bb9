using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Storage.Sqlite;
using Needle.Testing;
using Needle.Testing.Images;
using Needle.Testing.Server;
using SkiaSharp;

namespace Needle.Server.Tests;

/// <summary>
/// The robust tier on a running server, end to end with real photos and the real model: a cropped copy of a confirmed
/// file and a rotated copy of a picture in a list made by <c>needle list build</c> match with signal robust; triage links
/// the reports sharing the cropped copy; <c>/files/{id}/similar</c> ranks the other report's copy first and leaves the
/// file's own report out; flat and 1x1 pictures and unrelated photos match nothing.
/// </summary>
public sealed class RobustTierTests
{
    /// <summary>The testdata photos large enough for keypoints, in name order.</summary>
    private static string[] Photos() =>
        [.. Directory.GetFiles(Path.Combine(TestPaths.Pdq, "photos"), "p*.png").Order(StringComparer.Ordinal).Where(path =>
        {
            using var codec = SKCodec.Create(path);
            return codec.Info.Width >= 96 && codec.Info.Height >= 96;
        })];

    private static async Task<Guid> SubmitAsync(HttpClient submitter, params (string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent("{}", Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < files.Length; i++)
        {
            var part = new ByteArrayContent(files[i].Bytes);
            part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            form.Add(part, $"f{i}", files[i].Name);
        }

        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    /// <summary>Polls the report until it is triaged and <paramref name="done"/> holds.</summary>
    private static async Task<JsonNode> PollAsync(HttpClient reviewer, Guid id, Func<JsonNode, bool>? done = null)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(120);
        while (true)
        {
            var body = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}"));
            if (body["score"] is not null && (done is null || done(body)))
            {
                return body;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not triaged within 120 s: " + body.ToJsonString());
            await Task.Delay(100);
        }
    }

    private static JsonNode FileNamed(JsonNode report, string name) =>
        report["files"]!.AsArray().Single(f => f!["originalName"]!.GetValue<string>() == name)!;

    private static byte[] Flat(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(new SKColor(120, 130, 140));
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Runs the built <c>needle</c> (beside the tests) as a child process.</summary>
    private static async Task<(int Code, string Error)> NeedleAsync(string folder, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "needle.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        await stdout;
        return (process.ExitCode, await stderr);
    }

    [Fact]
    public async Task Cropped_and_rotated_copies_match_link_and_rank_as_similar_while_unrelated_and_flat_pictures_do_not()
    {
        var photos = Photos();
        var (confirmed, listed, unrelated) = (photos[0], photos[2], photos[1]);
        await using var server = await RunningServer.StartAsync(o => o with { Robust = true });
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);

        // A list made from a picture with needle list build, imported as it is.
        var folder = Path.Combine(server.Folder, "originals");
        Directory.CreateDirectory(folder);
        File.Copy(listed, Path.Combine(folder, Path.GetFileName(listed)));
        var built = await NeedleAsync(server.Folder, "list", "build", "originals", "-o", "list.jsonl", "--label-from-name");
        Assert.True(built.Code == 0, built.Error);
        var import = await admin.PostAsync("/api/v1/lists/originals/import?format=needle", new ByteArrayContent(File.ReadAllBytes(Path.Combine(server.Folder, "list.jsonl"))));
        Assert.True(import.StatusCode == HttpStatusCode.OK, await import.Content.ReadAsStringAsync());
        var entries = (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/originals/entries"))).AsArray();
        Assert.Contains(entries, e => e!["signalType"]!.GetValue<string>() == "robust");

        // The first report's picture is confirmed: its robust entry joins needle-confirmed with its hashes.
        var firstId = await SubmitAsync(submitter, ("original.png", File.ReadAllBytes(confirmed)));
        var first = await PollAsync(reviewer, firstId);
        var originalFile = FileNamed(first, "original.png")["id"]!.GetValue<string>();
        Assert.Empty(FileNamed(first, "original.png")["matches"]!.AsArray());
        var decision = await reviewer.PostAsJsonAsync($"/api/v1/files/{originalFile}/decision", new { category = "child-abuse-material" });
        Assert.Equal(HttpStatusCode.OK, decision.StatusCode);
        var added = (await RunningServer.JsonAsync(decision))["organisationList"]!["entriesAdded"]!.AsArray().Select(n => n!.GetValue<int>()).ToHashSet();
        var confirmedEntries = (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/needle-confirmed/entries"))).AsArray();
        var robustEntry = Assert.Single(confirmedEntries, e => e!["signalType"]!.GetValue<string>() == "robust")!;
        Assert.Contains(robustEntry["id"]!.GetValue<int>(), added);
        Assert.Equal(originalFile, robustEntry["label"]!.GetValue<string>());

        // A later report: a cropped copy of the confirmed picture, a rotated copy of the listed one, an unrelated photo,
        // a flat picture and a 1x1 one.
        var originalBytes = File.ReadAllBytes(confirmed);
        var secondId = await SubmitAsync(
            submitter,
            ("cropped.png", CopyEdits.Apply("crop10", originalBytes)),
            ("rotated.png", CopyEdits.Apply("rotate5", File.ReadAllBytes(listed))),
            ("unrelated.png", File.ReadAllBytes(unrelated)),
            ("flat.png", Flat(320, 240)),
            ("tiny.png", File.ReadAllBytes(Path.Combine(TestPaths.Pdq, "photos", "e5_1x1.png"))));
        var second = await PollAsync(reviewer, secondId);

        var cropped = FileNamed(second, "cropped.png");
        var croppedMatch = Assert.Single(cropped["matches"]!.AsArray())!;
        Assert.Equal(("needle-confirmed", "robust"), (croppedMatch["list"]!.GetValue<string>(), croppedMatch["signalType"]!.GetValue<string>()));
        Assert.Equal(robustEntry["id"]!.GetValue<int>(), croppedMatch["entryId"]!.GetValue<int>());
        Assert.True(croppedMatch["robust"]!["inliers"]!.GetValue<int>() >= 15, croppedMatch.ToJsonString());
        Assert.InRange(croppedMatch["robust"]!["cropWidth"]!.GetValue<double>(), 0.8, 0.97);
        Assert.InRange(croppedMatch["robust"]!["similarity"]!.GetValue<double>(), 0.5, 1);
        Assert.StartsWith("robust(", croppedMatch["transform"]!.GetValue<string>(), StringComparison.Ordinal);

        var rotated = FileNamed(second, "rotated.png");
        var rotatedMatch = Assert.Single(rotated["matches"]!.AsArray())!;
        Assert.Equal(("originals", "robust", Path.GetFileName(listed)), (rotatedMatch["list"]!.GetValue<string>(), rotatedMatch["signalType"]!.GetValue<string>(), rotatedMatch["label"]!.GetValue<string>()));
        Assert.InRange(Math.Abs(rotatedMatch["robust"]!["rotationDegrees"]!.GetValue<double>()), 3, 7);

        Assert.Empty(FileNamed(second, "unrelated.png")["matches"]!.AsArray());
        var flat = FileNamed(second, "flat.png");
        Assert.Equal(("hashed", 0), (flat["state"]!.GetValue<string>(), flat["matches"]!.AsArray().Count));
        var tiny = FileNamed(second, "tiny.png");
        Assert.Equal(("hashed", 0), (tiny["state"]!.GetValue<string>(), tiny["matches"]!.AsArray().Count));

        // Triage links the two reports through the cropped copy, naming the transform.
        var related = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{secondId}/related"));
        var link = Assert.Single(related["links"]!.AsArray(), l => l!["kind"]!.GetValue<string>() == "robust")!;
        Assert.Equal((firstId.ToString(), cropped["id"]!.GetValue<string>(), originalFile), (link["otherReportId"]!.GetValue<string>(), link["fileId"]!.GetValue<string>(), link["otherFileId"]!.GetValue<string>()));
        Assert.StartsWith("robust:inliers=", link["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("crop=", link["value"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(secondId.ToString(), (await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{firstId}/related")))["bundle"]!.AsArray().Select(b => b!.GetValue<string>()));

        // Similar files: a third report holds a half-size copy (linked to the others through its PDQ, so in their bundle)
        // and an unrelated photo. By default the bundle is left out; with it, the closest is the confirmed picture or its
        // cropped copy, and the file's own report is never listed.
        var thirdId = await SubmitAsync(submitter, ("again.png", CopyEdits.Apply("half", originalBytes)), ("other.png", File.ReadAllBytes(photos[3])));
        var third = await PollAsync(reviewer, thirdId);
        var againFile = FileNamed(third, "again.png")["id"]!.GetValue<string>();
        var bundle = (await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{thirdId}/related")))["bundle"]!.AsArray().Select(b => b!.GetValue<string>()).ToList();
        Assert.Contains(firstId.ToString(), bundle);
        var outside = await reviewer.GetAsync($"/api/v1/files/{againFile}/similar?limit=20");
        Assert.Equal(HttpStatusCode.OK, outside.StatusCode);
        Assert.DoesNotContain((await RunningServer.JsonAsync(outside))["items"]!.AsArray(), i => bundle.Contains(i!["report"]!.GetValue<string>()));

        var similar = await reviewer.GetAsync($"/api/v1/files/{againFile}/similar?limit=20&includeBundle=true");
        var items = (await RunningServer.JsonAsync(similar))["items"]!.AsArray();
        Assert.Equal(5, items.Count); // the 1x1 picture has no features
        Assert.Contains(items[0]!["file"]!.GetValue<string>(), new[] { originalFile, cropped["id"]!.GetValue<string>() });
        Assert.Contains(items[1]!["file"]!.GetValue<string>(), new[] { originalFile, cropped["id"]!.GetValue<string>() });
        Assert.DoesNotContain(items, i => i!["report"]!.GetValue<string>() == thirdId.ToString());
        var similarities = items.Select(i => i!["similarity"]!.GetValue<double>()).ToList();
        Assert.Equal(similarities.OrderDescending(), similarities);
        Assert.True(similarities[0] > similarities[^1]);

        // Another picture ranks the files of every other report (the same scene or not), best first.
        var otherFile = FileNamed(third, "other.png")["id"]!.GetValue<string>();
        var scene = (await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/files/{otherFile}/similar?includeBundle=true")))["items"]!.AsArray();
        Assert.Equal(5, scene.Count);
        Assert.DoesNotContain(scene, i => i!["report"]!.GetValue<string>() == thirdId.ToString());

        // Limited, audited, for reviewers only.
        Assert.Single((await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/files/{againFile}/similar?limit=1&includeBundle=true")))["items"]!.AsArray());
        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.GetAsync($"/api/v1/files/{againFile}/similar?limit=0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/api/v1/files/{Guid.NewGuid()}/similar")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await submitter.GetAsync($"/api/v1/files/{againFile}/similar")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await admin.GetAsync($"/api/v1/files/{againFile}/similar")).StatusCode);
        var audit = (await RunningServer.JsonAsync(await auditor.GetAsync("/api/v1/audit?limit=500")))["items"]!.AsArray();
        Assert.Equal(3, audit.Count(e => e!["action"]!.GetValue<string>() == "file.similar" && e["target"]!.GetValue<string>() == $"file/{Guid.Parse(againFile):N}"));
    }

    [Fact]
    public async Task A_missing_model_file_stops_the_start_naming_it()
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-robust-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var model = Path.Combine(folder, "no-such-model.onnx");
            var options = new NeedleServerOptions
            {
                Store = services => services.AddSqliteStore(Path.Combine(folder, "needle.db")),
                Urls = ["http://127.0.0.1:0"],
                MediaKeyEnvironmentVariable = null,
                Notices = new StringWriter(),
                Warnings = new StringWriter(),
                RobustModelPath = model,
            };
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => NeedleServer.BuildAsync(options));
            Assert.Contains(model, error.Message, StringComparison.Ordinal);
            Assert.Contains("robust", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
