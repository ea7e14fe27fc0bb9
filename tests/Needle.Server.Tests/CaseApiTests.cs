using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Testing.Images;
using Needle.Testing.Metadata;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>Case work over HTTP on real servers: notes, assignment, outcomes, and an export package imported by a second server.</summary>
public sealed class CaseApiTests
{
    private const string Passphrase = "correct horse battery staple";

    private static byte[] GpsJpeg() => JpegMetadataWriter.Splice(
        TestJpegs.Photo("p01_keong_macan.png", 640, 480),
        JpegMetadataWriter.ExifSegment(new ExifSpec { Make = "NIKON CORPORATION", Model = "NIKON D750", DateTimeOriginal = "2024:06:15 10:20:30", Gps = (45.7640, 4.8357) }));

    private static async Task<Guid> SubmitAsync(HttpClient submitter, byte[] first, byte[] second)
    {
        var report = new
        {
            externalId = "case-1",
            reportedPerson = new { emails = new[] { "person@example.org" } },
            files = new object[]
            {
                new { part = "f0", originalName = "gps.jpg" },
                new { part = "f1", originalName = "other.jpg" },
                new { originalName = "only-hashes.gif", hashes = new { md5 = "0123456789abcdef0123456789abcdef", sha256 = new string('e', 64) } },
            },
        };
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        foreach (var (bytes, part) in new[] { (first, "f0"), (second, "f1") })
        {
            var content = new ByteArrayContent(bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(content, part, part + ".jpg");
        }

        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    private static async Task<JsonNode> TriagedAsync(HttpClient reviewer, Guid id)
    {
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
        while (true)
        {
            var body = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}"));
            if (body["score"] is not null)
            {
                return body;
            }

            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not triaged within 60 s: " + body.ToJsonString());
            await Task.Delay(100);
        }
    }

    private static async Task<HttpResponseMessage> ImportAsync(HttpClient admin, byte[] package, string? passphrase)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(package), "package", "package.zip" } };
        if (passphrase is not null)
        {
            form.Add(new StringContent(passphrase), "passphrase");
        }

        return await admin.PostAsync("/api/v1/reports/import", form);
    }

    private static async Task<byte[]> ExportAsync(HttpClient reviewer, Guid id, bool media)
    {
        var response = media
            ? await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/export", new { includeMedia = true, passphrase = Passphrase })
            : await reviewer.GetAsync($"/api/v1/reports/{id}/export");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/zip", response.Content.Headers.ContentType!.MediaType);
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static async Task<List<string>> AuditActionsAsync(RunningServer server)
    {
        var auditor = server.Client((await server.CreateKeyAsync(ApiRole.Auditor)).Key);
        var page = await RunningServer.JsonAsync(await auditor.GetAsync("/api/v1/audit?after=0&limit=1000"));
        return [.. page["items"]!.AsArray().Select(e => e!["action"]!.GetValue<string>())];
    }

    /// <summary>What must survive the trip: each file's hashes, the decisions, the jurisdiction and its evidence, notes and outcomes.</summary>
    private static async Task<string> CaseFingerprintAsync(HttpClient reviewer, Guid id)
    {
        var report = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}"));
        var files = new JsonArray();
        foreach (var file in report["files"]!.AsArray())
        {
            var fileId = file!["id"]!.GetValue<string>();
            var history = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/files/{fileId}/decisions"));
            files.Add(new JsonObject
            {
                ["id"] = fileId,
                ["name"] = file["originalName"]!.DeepClone(),
                ["hashes"] = file["hashes"]!.DeepClone(),
                ["reporterHashes"] = file["reporterHashes"]?.DeepClone(),
                ["clues"] = file["clues"]?.DeepClone(),
                ["decisions"] = new JsonArray([.. history.AsArray().Select(d => (JsonNode)new JsonObject
                {
                    ["category"] = d!["category"]!.DeepClone(),
                    ["source"] = d["source"]!.DeepClone(),
                    ["actor"] = d["actor"]!.DeepClone(),
                    ["at"] = d["at"]!.DeepClone(),
                    ["note"] = d["note"]?.DeepClone(),
                })]),
            });
        }

        var caseBody = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}/case"));
        foreach (var note in caseBody["notes"]!.AsArray())
        {
            note!.AsObject().Remove("id");
        }

        foreach (var outcome in caseBody["outcomes"]!.AsArray())
        {
            outcome!.AsObject().Remove("id");
        }

        return new JsonObject
        {
            ["id"] = report["id"]!.DeepClone(),
            ["receivedAt"] = report["receivedAt"]!.DeepClone(),
            ["submission"] = report["submission"]!.DeepClone(),
            ["jurisdiction"] = report["jurisdiction"]!.DeepClone(),
            ["files"] = files,
            ["notes"] = caseBody["notes"]!.DeepClone(),
            ["outcomes"] = caseBody["outcomes"]!.DeepClone(),
        }.ToJsonString();
    }

    [Fact]
    public async Task A_report_exported_on_one_server_imports_on_another_with_the_same_hashes_decisions_evidence_and_media()
    {
        await using var first = await RunningServer.StartAsync();
        await using var second = await RunningServer.StartAsync();
        var submitter = first.Client((await first.CreateKeyAsync(ApiRole.Submitter)).Key);
        var (reviewerId, reviewerKey) = await first.CreateKeyAsync(ApiRole.Reviewer, "analyst-1");
        var reviewer = first.Client(reviewerKey);
        var admin = first.Client(first.AdminKey);
        var gpsPhoto = GpsJpeg();
        var other = TestImages.Generated(31);

        var id = await SubmitAsync(submitter, gpsPhoto, other);
        var report = await TriagedAsync(reviewer, id);
        Assert.NotEmpty(report["jurisdiction"]!["evidence"]!.AsArray());
        var files = report["files"]!.AsArray().Select(f => Guid.Parse(f!["id"]!.GetValue<string>())).ToList();

        // Case work on the first server: decisions (one revised), a note, an assignment, a referral.
        Assert.Equal(HttpStatusCode.OK, (await reviewer.PostAsJsonAsync($"/api/v1/files/{files[0]}/decision", new { category = 3 })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.PostAsJsonAsync($"/api/v1/files/{files[0]}/decision", new { category = 2, note = "revised after a second look" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await reviewer.PostAsJsonAsync($"/api/v1/files/{files[1]}/decision", new { category = 0 })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/notes", new { text = "The ESP confirmed the account." })).StatusCode);
        var assigned = await admin.PutAsJsonAsync($"/api/v1/reports/{id}/assignment", new { reviewer = reviewerId.ToString() });
        Assert.Equal(HttpStatusCode.OK, assigned.StatusCode);
        Assert.Equal(reviewerId.ToString("N"), (await RunningServer.JsonAsync(assigned))["assignedTo"]!.GetValue<string>());
        var referral = await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/outcome", new { kind = "referral", recipient = "FR: OFMIN", note = "ref 2024-118" });
        Assert.Equal(HttpStatusCode.Created, referral.StatusCode);
        Assert.Equal("referral", (await RunningServer.JsonAsync(referral))["kind"]!.GetValue<string>());

        var package = await ExportAsync(reviewer, id, media: true);
        using (var zip = new ZipArchive(new MemoryStream(package)))
        {
            Assert.Equal(
                new[] { "manifest.json", $"media/{files[0]:N}.bin", $"media/{files[1]:N}.bin", "package.json", "summary.html" }.Order(StringComparer.Ordinal),
                zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
            using var summary = new StreamReader(zip.GetEntry("summary.html")!.Open());
            var html = await summary.ReadToEndAsync();
            Assert.Contains("The ESP confirmed the account.", html, StringComparison.Ordinal);
            Assert.Contains("FR: OFMIN", html, StringComparison.Ordinal);

            // The media is not in the clear.
            using var media = zip.GetEntry($"media/{files[1]:N}.bin")!.Open();
            var encrypted = new MemoryStream();
            await media.CopyToAsync(encrypted);
            Assert.Equal(-1, encrypted.ToArray().AsSpan().IndexOf(other.AsSpan(0, 64)));
        }

        // The second server: wrong and missing passphrases are clear 400s; the right one re-creates the report.
        var secondAdmin = second.Client(second.AdminKey);
        var wrong = await ImportAsync(secondAdmin, package, "not the passphrase at all");
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        Assert.Contains("passphrase is wrong", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var missing = await ImportAsync(secondAdmin, package, null);
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("protected by a passphrase", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var imported = await ImportAsync(secondAdmin, package, Passphrase);
        Assert.Equal(HttpStatusCode.Created, imported.StatusCode);
        var importedBody = await RunningServer.JsonAsync(imported);
        Assert.Equal((id.ToString(), 3, 2, 3), (importedBody["reportId"]!.GetValue<string>(), importedBody["files"]!.GetValue<int>(), importedBody["mediaFiles"]!.GetValue<int>(), importedBody["decisions"]!.GetValue<int>()));

        var secondReviewer = second.Client((await second.CreateKeyAsync(ApiRole.Reviewer)).Key);
        await TriagedAsync(secondReviewer, id);
        Assert.Equal(await CaseFingerprintAsync(reviewer, id), await CaseFingerprintAsync(secondReviewer, id));
        Assert.Equal(other, await secondReviewer.GetByteArrayAsync($"/api/v1/files/{files[1]}/media"));
        Assert.Equal(gpsPhoto, await secondReviewer.GetByteArrayAsync($"/api/v1/files/{files[0]}/media"));

        // Once only.
        Assert.Equal(HttpStatusCode.Conflict, (await ImportAsync(secondAdmin, package, Passphrase)).StatusCode);
        Assert.Contains("report.export", await AuditActionsAsync(first));
        Assert.Contains("report.outcome", await AuditActionsAsync(first));
        Assert.Contains("report.assign", await AuditActionsAsync(first));
        Assert.Contains("report.note", await AuditActionsAsync(first));
        Assert.Contains("report.import", await AuditActionsAsync(second));
    }

    [Fact]
    public async Task An_altered_package_is_refused_and_media_needs_a_passphrase()
    {
        await using var first = await RunningServer.StartAsync();
        await using var second = await RunningServer.StartAsync();
        var submitter = first.Client((await first.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = first.Client((await first.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var id = await SubmitAsync(submitter, TestImages.Generated(41), TestImages.Generated(42));
        await TriagedAsync(reviewer, id);

        var noMedia = await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/export", new { includeMedia = true });
        Assert.Equal(HttpStatusCode.BadRequest, noMedia.StatusCode);
        Assert.Contains("passphrase is required", await noMedia.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Without media: no passphrase needed; the manifest's SHA-256s catch an edit.
        var package = await ExportAsync(reviewer, id, media: false);
        var tampered = Rewrite(package, "package.json", text => text.Replace("case-1", "case-2", StringComparison.Ordinal));
        var secondAdmin = second.Client(second.AdminKey);
        var refused = await ImportAsync(secondAdmin, tampered, null);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("'package.json' does not match its SHA-256", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // With a passphrase, rewriting the manifest to match the edit breaks its MAC.
        var sealedPackage = await ExportAsync(reviewer, id, media: true);
        var forged = Rewrite(sealedPackage, "package.json", text => text.Replace("case-1", "case-2", StringComparison.Ordinal), fixManifest: true);
        var forgedResponse = await ImportAsync(secondAdmin, forged, Passphrase);
        Assert.Equal(HttpStatusCode.BadRequest, forgedResponse.StatusCode);
        Assert.Contains("MAC does not verify", await forgedResponse.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var notZip = await ImportAsync(secondAdmin, Encoding.UTF8.GetBytes("hello"), null);
        Assert.Equal(HttpStatusCode.BadRequest, notZip.StatusCode);
        Assert.Contains("not a readable zip", await notZip.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Nothing of the refused packages was stored; the untouched one imports.
        Assert.Equal(HttpStatusCode.NotFound, (await second.Client(second.AdminKey).GetAsync($"/api/v1/reports/{id}/case")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await ImportAsync(secondAdmin, package, null)).StatusCode);

        // Roles: a reviewer cannot import, a submitter cannot export.
        Assert.Equal(HttpStatusCode.Forbidden, (await ImportAsync(reviewer, package, null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await submitter.GetAsync($"/api/v1/reports/{id}/export")).StatusCode);
    }

    [Fact]
    public async Task Notes_assignments_and_outcomes_are_checked_and_the_assignee_shows_in_the_queue()
    {
        await using var server = await RunningServer.StartAsync();
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var (reviewerId, reviewerKey) = await server.CreateKeyAsync(ApiRole.Reviewer);
        var reviewer = server.Client(reviewerKey);
        var admin = server.Client(server.AdminKey);
        var id = await SubmitAsync(submitter, TestImages.Generated(51), TestImages.Generated(52));
        await TriagedAsync(reviewer, id);

        Assert.Equal(HttpStatusCode.BadRequest, (await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/notes", new { text = "  " })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.PostAsJsonAsync($"/api/v1/reports/{Guid.NewGuid()}/notes", new { text = "x" })).StatusCode);
        var referralWithoutRecipient = await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/outcome", new { kind = "referral" });
        Assert.Equal(HttpStatusCode.BadRequest, referralWithoutRecipient.StatusCode);
        Assert.Contains("recipient is required", await referralWithoutRecipient.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await reviewer.PostAsJsonAsync($"/api/v1/reports/{id}/outcome", new { kind = "informational" })).StatusCode);

        // Only admins assign, and only to reviewer keys.
        Assert.Equal(HttpStatusCode.Forbidden, (await reviewer.PutAsJsonAsync($"/api/v1/reports/{id}/assignment", new { reviewer = reviewerId.ToString() })).StatusCode);
        var notReviewer = await admin.PutAsJsonAsync($"/api/v1/reports/{id}/assignment", new { reviewer = Guid.NewGuid().ToString() });
        Assert.Equal(HttpStatusCode.BadRequest, notReviewer.StatusCode);
        Assert.Contains("not the id of an active reviewer key", await notReviewer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await admin.PutAsJsonAsync($"/api/v1/reports/{id}/assignment", new { reviewer = reviewerId.ToString("N") })).StatusCode);

        var queue = await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/queue"));
        Assert.Equal(reviewerId.ToString("N"), queue["items"]!.AsArray().Single(i => i!["id"]!.GetValue<string>() == id.ToString())!["assignedTo"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/v1/reports/{id}/assignment")).StatusCode);
        var caseBody = await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}/case"));
        Assert.Null(caseBody["assignment"]);
        Assert.Equal("informational", caseBody["outcome"]!["kind"]!.GetValue<string>());
    }

    /// <summary>The package with one entry's text changed; with <paramref name="fixManifest"/>, the manifest's SHA-256 and length of it updated too.</summary>
    private static byte[] Rewrite(byte[] package, string entryName, Func<string, string> change, bool fixManifest = false)
    {
        var entries = new Dictionary<string, byte[]>();
        using (var zip = new ZipArchive(new MemoryStream(package)))
        {
            foreach (var entry in zip.Entries)
            {
                using var stream = entry.Open();
                var buffer = new MemoryStream();
                stream.CopyTo(buffer);
                entries[entry.FullName] = buffer.ToArray();
            }
        }

        var changed = Encoding.UTF8.GetBytes(change(Encoding.UTF8.GetString(entries[entryName])));
        Assert.NotEqual(entries[entryName], changed);
        entries[entryName] = changed;
        if (fixManifest)
        {
            var manifest = JsonNode.Parse(entries["manifest.json"])!;
            var listed = manifest["entries"]!.AsArray().Single(e => e!["name"]!.GetValue<string>() == entryName)!;
            listed["sha256"] = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(changed));
            listed["length"] = changed.Length;
            entries["manifest.json"] = Encoding.UTF8.GetBytes(manifest.ToJsonString());
        }

        var output = new MemoryStream();
        using (var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var stream = zip.CreateEntry(name).Open();
                stream.Write(bytes);
            }
        }

        return output.ToArray();
    }
}
