using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;
using Needle.Hashing;
using Needle.Testing.Images;
using Needle.Testing.Server;
using SkiaSharp;

namespace Needle.Server.Tests;

/// <summary>
/// Signals that do not mislead, on a real server: files nobody can assess (hashes only; PDQ quality under the minimum,
/// whose PDQ and flips the matcher skips) are "unassessable", never "possibly new material".
/// </summary>
public sealed class HonestSignalTests
{
    private static readonly MediaFileHasher Hasher = new(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq }, new ImageDecoder());

    private static PdqResult Pdq(byte[] image) => Hasher.HashBytes(image, "image", CancellationToken.None).Pdq!.Value;

    private static byte[] Png(SKBitmap bitmap)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    private static byte[] Draw(SKBitmap source, Action<SKCanvas, SKPaint> setup)
    {
        using var target = new SKBitmap(source.Width, source.Height);
        using var canvas = new SKCanvas(target);
        using var paint = new SKPaint();
        canvas.Clear(SKColors.White);
        setup(canvas, paint);
        canvas.DrawBitmap(source, 0, 0, paint);
        canvas.Flush();
        return Png(target);
    }

    private static byte[] Flipped(byte[] image)
    {
        using var source = SKBitmap.Decode(image);
        return Draw(source, (canvas, _) =>
        {
            canvas.Translate(source.Width, 0);
            canvas.Scale(-1, 1);
        });
    }

    /// <summary>A photo blurred until its PDQ quality is under Meta's minimum of 50 (but not flat).</summary>
    private static byte[] LowQualityPhoto()
    {
        using var source = SKBitmap.Decode(TestImages.Generated(81));
        for (var sigma = 2f; sigma <= 80; sigma += 2)
        {
            var blurred = Draw(source, (_, paint) => paint.ImageFilter = SKImageFilter.CreateBlur(sigma, sigma, SKShaderTileMode.Clamp));
            if (Pdq(blurred).Quality is >= 15 and < 45 && Pdq(Flipped(blurred)).Quality < 50)
            {
                return blurred;
            }
        }

        throw new InvalidOperationException("no blur gave a PDQ quality between 15 and 45");
    }

    private static async Task<Guid> SubmitAsync(HttpClient submitter, object report, params byte[][] images)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        for (var i = 0; i < images.Length; i++)
        {
            var part = new ByteArrayContent(images[i]);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(part, $"f{i}", $"image-{i}.png");
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

    private static List<string> Reasons(JsonNode report) => [.. report["score"]!["reasons"]!.AsArray().Select(r => r!["code"]!.GetValue<string>())];

    [Fact]
    public async Task Hash_only_files_and_a_flipped_low_quality_copy_of_a_listed_photo_are_unassessable_not_possibly_new()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        var lowQuality = LowQualityPhoto();
        var sharp = TestImages.Generated(82);
        Assert.True(Pdq(sharp).Quality >= 50);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "provider" })).StatusCode);
        var entries = new[] { lowQuality, sharp }.Select((image, i) => new { signalType = "pdq", value = Pdq(image).Hash.ToString(), label = $"listed-{i}", category = "1" }).ToArray();
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists/provider/entries", new { entries })).StatusCode);

        // Hashes only: nothing to look at, nothing to match by likeness.
        var hashOnly = await SubmitAsync(submitter, new { files = new[] { new { originalName = "a.jpg", hashes = new { md5 = "0123456789abcdef0123456789abcdef" } } } });
        var hashOnlyReport = await TriagedAsync(reviewer, hashOnly);
        Assert.Equal(["unassessable"], Reasons(hashOnlyReport));
        Assert.Contains("cannot be assessed", hashOnlyReport["score"]!["reasons"]![0]!["text"]!.GetValue<string>(), StringComparison.Ordinal);

        // The queue counts it as unassessable, not as unknown (possibly new) material.
        var queued = (await RunningServer.JsonAsync(await reviewer.GetAsync("/api/v1/queue"))).AsObject()["items"]!.AsArray()
            .Single(i => i!["id"]!.GetValue<string>() == hashOnly.ToString())!;
        Assert.Equal((1, 0, 1), (queued["unassessableFileCount"]!.GetValue<int>(), queued["unknownFileCount"]!.GetValue<int>(), queued["reasons"]![0]!["files"]!.GetValue<int>()));

        // A flipped copy of the listed low-quality photo: the matcher skipped its PDQ and flips (quality under 50).
        var flippedLow = await TriagedAsync(reviewer, await SubmitAsync(submitter, new { }, Flipped(lowQuality)));
        Assert.True(flippedLow["files"]![0]!["hashes"]!["pdqQuality"]!.GetValue<int>() < 50);
        Assert.Empty(flippedLow["files"]![0]!["matches"]!.AsArray());
        Assert.Equal(["unassessable"], Reasons(flippedLow));

        // The same with a sharp photo: its flip is matched (dihedral), known material.
        var flippedSharp = await TriagedAsync(reviewer, await SubmitAsync(submitter, new { }, Flipped(sharp)));
        Assert.Equal(["known-media"], Reasons(flippedSharp));
        Assert.NotEqual("original", flippedSharp["files"]![0]!["matches"]![0]!["transform"]!.GetValue<string>());
    }
}
