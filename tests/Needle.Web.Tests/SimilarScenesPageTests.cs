using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;
using Needle.Core.Access;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Testing;
using Needle.Testing.Server;

namespace Needle.Web.Tests;

/// <summary>
/// The report page with the robust tier on: under a file still to review, the similar files of other reports (outside
/// its bundle) are shown as blurred thumbnails, revealed one at a time like the file's own frames, and audited.
/// </summary>
public sealed class SimilarScenesPageTests
{
    private static async Task<Guid> SubmitAsync(HttpClient submitter, string name, byte[] image)
    {
        var form = new MultipartFormDataContent { { new StringContent("{}", Encoding.UTF8, "application/json"), "report" } };
        var part = new ByteArrayContent(image);
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, "f0", name);
        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }

    private static async Task WaitTriagedAsync(INeedleStore store, Guid id)
    {
        // A guard against a stuck pipeline, not a speed check.
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(300);
        while (await store.Triage.GetScoreAsync(id) is not { State: not ReviewState.Untriaged })
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"report {id} was not triaged within 300 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_file_shows_similar_files_of_other_reports_blurred_revealed_one_at_a_time_and_audited()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Robust = true });
        var reviewerKey = (await server.CreateKeyAsync(ApiRole.Reviewer, "Analyst A")).Key;
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var store = server.App.Services.GetRequiredService<INeedleStore>();

        // The same scene in two reports that nothing links: the left and the right half of one photo (no pixel in common,
        // so neither a hash nor triage's keypoint check links them), which the descriptor still finds close.
        var photo = File.ReadAllBytes(TestPaths.PdqFile("photos/p01_keong_macan.png"));
        var earlier = await SubmitAsync(submitter, "earlier.png", Half(photo, right: false));
        await WaitTriagedAsync(store, earlier);
        var later = await SubmitAsync(submitter, "later.png", Half(photo, right: true));
        await WaitTriagedAsync(store, later);
        var earlierFile = (await store.Reports.GetAsync(earlier))!.Files[0].Id;

        Assert.DoesNotContain(earlier, await store.Triage.GetBundleAsync(later, 100));

        await using var playwright = new PlaywrightHost();
        var page = await playwright.SignedInPageAsync(server.BaseAddress, reviewerKey);
        await page.GotoAsync($"/reports/{later}?claim=1");
        var similar = page.Locator("[data-similar-file]");
        Assert.True(await similar.CountAsync() >= 1);
        var first = similar.Nth(0);
        Assert.Equal(earlierFile.ToString(), await first.GetAttributeAsync("data-similar-file"));
        var image = first.Locator("img.thumb");
        await Assertions.Expect(image).ToHaveAttributeAsync("data-state", "blurred");
        await Assertions.Expect(image).ToHaveAttributeAsync("src", $"/web/files/{earlierFile}/thumbnail");

        // Revealed like a keyframe: one at a time, the file's own picture blurred meanwhile.
        await first.Locator("[data-reveal-button]").ClickAsync();
        await Assertions.Expect(image).ToHaveAttributeAsync("data-state", "revealed");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('[data-similar-file] img.thumb'); return i.complete && i.naturalWidth > 96; }");
        await Assertions.Expect(page.Locator("[data-file] img.thumb").Nth(0)).ToHaveAttributeAsync("data-state", "blurred");
        await page.Context.CloseAsync();

        var audit = await store.Audit.ReadAsync(0, 1000);
        Assert.Contains(audit, e => e.Action == "media.thumbnail" && e.Target == $"file/{earlierFile:N}");
        Assert.Contains(audit, e => e.Action == "media.reveal" && e.Target == $"file/{earlierFile:N}");
        Assert.Contains(audit, e => e.Action == "report.view" && e.Target == $"report/{later:N}" && e.Details!.Contains("\"similar\":", StringComparison.Ordinal));
    }

    /// <summary>The left or the right half of a picture, as PNG.</summary>
    private static byte[] Half(byte[] image, bool right)
    {
        using var source = SkiaSharp.SKBitmap.Decode(image);
        var width = source.Width / 2;
        using var half = new SkiaSharp.SKBitmap(width, source.Height);
        using (var canvas = new SkiaSharp.SKCanvas(half))
        {
            canvas.DrawBitmap(source, right ? -(source.Width - width) : 0, 0);
        }

        using var data = half.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Headless Chromium for one test.</summary>
    private sealed class PlaywrightHost : IAsyncDisposable
    {
        private IPlaywright? _playwright;
        private IBrowser? _browser;

        public async Task<IPage> SignedInPageAsync(Uri baseAddress, string key)
        {
            _playwright ??= await Playwright.CreateAsync();
            _browser ??= await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ReviewSite.ChromiumPath, Headless = true, Args = ["--no-sandbox"] });
            var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString().TrimEnd('/'), ViewportSize = new ViewportSize { Width = 1360, Height = 900 } });
            var page = await context.NewPageAsync();
            await page.GotoAsync("/signin");
            await page.FillAsync("#key", key);
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(static url => !url.Contains("/signin", StringComparison.Ordinal));
            return page;
        }

        public async ValueTask DisposeAsync()
        {
            if (_browser is not null)
            {
                await _browser.DisposeAsync();
            }

            _playwright?.Dispose();
        }
    }
}
