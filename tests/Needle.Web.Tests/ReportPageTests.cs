using Microsoft.Playwright;
using SkiaSharp;

namespace Needle.Web.Tests;

/// <summary>
/// The report page: what is known about the report, media blurred and grey until revealed one at a time (each reveal
/// audited), decisions by keyboard, decided files not shown again.
/// </summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class ReportPageTests(ReviewSite site)
{
    [Fact]
    public async Task The_report_shows_its_clues_on_the_map_and_its_media_blurred_and_grey()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.UnknownReport}");
        var text = await page.InnerTextAsync("main");
        Assert.Contains("NEW-LYON", text, StringComparison.Ordinal);
        Assert.Contains("someone@example.org", text, StringComparison.Ordinal);
        Assert.Contains("NIKON D750", text, StringComparison.Ordinal);
        Assert.Contains("6012345", text, StringComparison.Ordinal);
        Assert.Contains("45.764", text, StringComparison.Ordinal);
        Assert.Equal(1, await page.Locator(".world-map .marker").CountAsync());

        // The page shows the blurred thumbnail, and the image the server sent is grey and blurred.
        var image = page.Locator("img.thumb").First;
        Assert.Equal("blurred", await image.GetAttributeAsync("data-state"));
        var src = await image.GetAttributeAsync("src");
        var thumbnail = await page.APIRequest.GetAsync(src!);
        Assert.Equal(200, thumbnail.Status);
        Assert.Equal("image/png", thumbnail.Headers["content-type"]);
        using var blurred = SKBitmap.Decode(await thumbnail.BodyAsync());
        Assert.True(Math.Max(blurred.Width, blurred.Height) <= 96, $"thumbnail {blurred.Width}x{blurred.Height}");
        Assert.True(IsGrey(blurred), "the thumbnail has colour");

        var revealed = await page.APIRequest.GetAsync((await image.GetAttributeAsync("data-reveal"))!);
        using var sharp = SKBitmap.Decode(await revealed.BodyAsync());
        using var sharpAtThumbnailSize = sharp.Resize(new SKImageInfo(blurred.Width, blurred.Height), new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        Assert.True(Detail(blurred) < Detail(sharpAtThumbnailSize) / 5, $"blurred detail {Detail(blurred)} vs sharp {Detail(sharpAtThumbnailSize)}");
        await File.WriteAllBytesAsync(Path.Combine(ReviewSite.ScreenshotFolder, "thumbnail-as-served.png"), await thumbnail.BodyAsync());
        await ReviewSite.ScreenshotAsync(page, "03-report");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Revealing_an_image_shows_it_alone_and_the_auditor_sees_the_media_reveal_entry()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.RevealReport}?claim=1");
        var images = page.Locator("img.thumb");
        Assert.Equal(2, await images.CountAsync());

        // j moves to the first file; r reveals it larger (the 480 px picture at its size, not a 190 px thumbnail), and says so.
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("r");
        await Assertions.Expect(images.Nth(0)).ToHaveAttributeAsync("data-state", "revealed");
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.thumb'); return i.complete && i.naturalWidth > 96; }");
        Assert.True((await images.Nth(0).BoundingBoxAsync())!.Width >= 400, "the revealed picture is shown small");
        Assert.Contains("revealed", await images.Nth(0).GetAttributeAsync("alt"), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "04-report-revealed");

        // Colour for this one reveal: a toggle on the revealed file (audited like every reveal).
        await page.Locator("[data-file]").Nth(0).Locator("[data-colour-button]").ClickAsync();
        await Assertions.Expect(images.Nth(0)).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("colour=1$"));
        await page.WaitForFunctionAsync("() => { const i = document.querySelector('img.thumb'); return i.complete && i.naturalWidth > 96; }");
        Assert.Contains("in colour", await images.Nth(0).GetAttributeAsync("alt"), StringComparison.Ordinal);

        // Moving to the next file and revealing it hides the first again: one at a time.
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("r");
        await Assertions.Expect(images.Nth(1)).ToHaveAttributeAsync("data-state", "revealed");
        await page.WaitForFunctionAsync("() => { const i = document.querySelectorAll('img.thumb')[1]; return i.complete && i.naturalWidth > 96; }");
        await Assertions.Expect(images.Nth(0)).ToHaveAttributeAsync("data-state", "blurred");
        await page.Keyboard.PressAsync("Escape");
        await Assertions.Expect(images.Nth(1)).ToHaveAttributeAsync("data-state", "blurred");
        await page.Context.CloseAsync();

        var auditor = await site.SignedInPageAsync(site.AuditorKey);
        await auditor.GotoAsync("/audit?action=media.reveal");
        var rows = auditor.Locator("#audit tbody tr[data-action='media.reveal']");
        Assert.True(await rows.CountAsync() >= 3, $"{await rows.CountAsync()} media.reveal entries");
        Assert.True(await rows.Filter(new LocatorFilterOptions { HasText = "\"colour\":true" }).CountAsync() >= 1, "the colour reveal is not audited as such");
        Assert.True(await rows.Filter(new LocatorFilterOptions { HasText = "Analyst A" }).CountAsync() >= 1, "the audit log does not name the reviewer");
        Assert.Contains("Chain intact", await auditor.InnerTextAsync("#chain-status"), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(auditor, "05-audit");
        await auditor.Context.CloseAsync();
    }

    [Fact]
    public async Task Deciding_by_keyboard_records_the_decision_collapses_the_file_and_grows_the_organisation_list()
    {
        var admin = await site.SignedInPageAsync(site.AdminKey);
        var before = await ListSizesAsync(admin);

        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.DecisionReport}?claim=1");
        Assert.Equal(2, await page.Locator("article.tile").CountAsync());
        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("1");
        await Assertions.Expect(page.Locator("article.tile.decided")).ToHaveCountAsync(1);
        Assert.Contains("child abuse material", await page.InnerTextAsync("#page-message"), StringComparison.Ordinal);

        // Once the undo window has ended the decision spreads; the decided file is not shown again: one tile left,
        // the other collapsed with its decision.
        await site.EndUndoWindowsAsync();
        await page.ReloadAsync();
        Assert.Equal(1, await page.Locator("article.tile").CountAsync());
        Assert.Equal(1, await page.Locator("details.decided-file").CountAsync());
        Assert.Equal(0, await page.Locator("details.decided-file img").CountAsync());
        await ReviewSite.ScreenshotAsync(page, "06-report-after-decision");
        await page.Context.CloseAsync();

        // Confirmed abuse material that matched nothing goes to the organisation's own list at once.
        var after = await ListSizesAsync(admin);
        Assert.True(after.Any(l => l.Value > before.GetValueOrDefault(l.Key)), "no list grew: " + string.Join(", ", after));
        await ReviewSite.ScreenshotAsync(admin, "07-lists");
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task A_reviewer_marks_a_match_as_a_false_positive_and_the_entry_goes_to_the_allow_list()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.FalsePositiveReport}?claim=1");
        var match = page.Locator("table.matches tbody tr").Filter(new LocatorFilterOptions { HasText = ReviewSite.KnownList });
        Assert.True(await match.CountAsync() >= 1);

        // The other copy of the same picture is a related report, with the reason.
        var related = page.Locator($".related a[href='/reports/{site.KnownReport}']");
        Assert.Equal(1, await related.CountAsync());
        Assert.Contains("image", await page.InnerTextAsync(".related"), StringComparison.OrdinalIgnoreCase);
        await ReviewSite.ScreenshotAsync(page, "03c-report-matches-and-related");
        // It asks first, and says what it will touch: the entry of that list, in every report. Without the tick nothing is sent.
        var confirm = match.First.Locator("form[data-false-positive] label");
        Assert.Contains($"of '{ReviewSite.KnownList}' to the allow list", await confirm.InnerTextAsync(), StringComparison.Ordinal);
        await match.First.Locator("button", new LocatorLocatorOptions { HasText = "False positive" }).ClickAsync();
        Assert.DoesNotContain("notice=", page.Url, StringComparison.Ordinal);
        await confirm.Locator("input").CheckAsync();
        await match.First.Locator("button", new LocatorLocatorOptions { HasText = "False positive" }).ClickAsync();
        await page.WaitForURLAsync(url => url.Contains("notice=", StringComparison.Ordinal));
        Assert.Contains("false positive", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        await page.Context.CloseAsync();

        var admin = await site.SignedInPageAsync(site.AdminKey);
        var allowLists = admin.Locator("#lists tbody tr").Filter(new LocatorFilterOptions { HasText = "allow list" });
        Assert.True(await allowLists.CountAsync() >= 1, "no allow list on the lists page");
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task A_video_is_shown_as_a_blurred_grey_poster_frame_and_never_played()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.VideoReport}");
        Assert.Equal(0, await page.Locator("video, audio").CountAsync());
        var poster = page.Locator("img.thumb").First;
        Assert.Contains("video poster frame", await poster.GetAttributeAsync("alt"), StringComparison.Ordinal);
        var response = await page.APIRequest.GetAsync((await poster.GetAttributeAsync("src"))!);
        Assert.Equal(200, response.Status);
        using var frame = SKBitmap.Decode(await response.BodyAsync());
        Assert.Equal(96, Math.Max(frame.Width, frame.Height));
        Assert.True(IsGrey(frame), "the poster frame has colour");

        // The video is on the known list: the page says which stretch of it matched which stretch of the listed one.
        var ranges = page.Locator(".video-ranges .time-range");
        Assert.True(await ranges.CountAsync() >= 1, "no matched time range is shown for the listed video");
        Assert.Matches(@"^0:0\d–0:0\d here ↔ 0:0\d–0:0\d listed$", (await ranges.First.InnerTextAsync()).Trim());
        // A strip of keyframes (the test pattern is one shot: evenly spaced), each blurred and grey, each revealed on its own.
        var keyframes = page.Locator("[data-keyframe] img");
        var count = await keyframes.CountAsync();
        Assert.True(count >= 2, $"{count} keyframes");
        for (var k = 0; k < count; k++)
        {
            var served = await page.APIRequest.GetAsync((await keyframes.Nth(k).GetAttributeAsync("src"))!);
            Assert.Equal(200, served.Status);
            using var still = SKBitmap.Decode(await served.BodyAsync());
            Assert.True(Math.Max(still.Width, still.Height) <= 96 && IsGrey(still), $"keyframe {k} is not a small grey thumbnail");
        }

        await page.GotoAsync($"/reports/{site.VideoReport}?claim=1");
        await page.Locator("[data-keyframe]").Nth(1).Locator("[data-reveal-button]").ClickAsync();
        await Assertions.Expect(keyframes.Nth(1)).ToHaveAttributeAsync("data-state", "revealed");
        await page.WaitForFunctionAsync("() => { const i = document.querySelectorAll('[data-keyframe] img')[1]; return i.complete && i.naturalWidth > 96; }");
        Assert.Contains("keyframe 2", await keyframes.Nth(1).GetAttributeAsync("alt"), StringComparison.Ordinal);
        Assert.Contains("revealed", await keyframes.Nth(1).GetAttributeAsync("alt"), StringComparison.Ordinal);
        await page.Locator("[data-keyframe]").Nth(0).Locator("[data-reveal-button]").ClickAsync();
        await Assertions.Expect(keyframes.Nth(0)).ToHaveAttributeAsync("data-state", "revealed");
        await Assertions.Expect(keyframes.Nth(1)).ToHaveAttributeAsync("data-state", "blurred");
        Assert.Equal(0, await page.Locator("video, audio").CountAsync());
        await ReviewSite.ScreenshotAsync(page, "03b-report-video");
        await page.Keyboard.PressAsync("Escape");
        await page.ClickAsync(".claim-bar form[action$='/release'] button");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task After_a_long_stretch_of_review_the_page_suggests_a_break()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        Assert.True(await page.Locator("#break-reminder").IsHiddenAsync());

        // The stretch began (by this tab's clock) longer ago than the organisation's setting.
        var minutes = int.Parse((await page.GetAttributeAsync("body", "data-break-minutes"))!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(minutes > 0);
        await page.EvaluateAsync($"() => {{ sessionStorage.setItem('needle.reviewStart', String(Date.now() - {minutes + 1} * 60000)); sessionStorage.setItem('needle.lastSeen', String(Date.now())); }}");
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("#break-reminder")).ToBeVisibleAsync();
        await ReviewSite.ScreenshotAsync(page, "02b-queue-break-reminder");
        await page.ClickAsync("[data-break-done]");
        await Assertions.Expect(page.Locator("#break-reminder")).ToBeHiddenAsync();
        await page.Context.CloseAsync();
    }

    private static async Task<Dictionary<string, int>> ListSizesAsync(IPage admin)
    {
        await admin.GotoAsync("/lists");
        var rows = await admin.Locator("#lists tbody tr").EvaluateAllAsync<string[][]>("rows => rows.map(r => [r.dataset.list, r.querySelector('[data-entries]').textContent])");
        return rows.ToDictionary(r => r[0], r => int.Parse(r[1], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static bool IsGrey(SKBitmap bitmap)
    {
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 0; x < bitmap.Width; x++)
            {
                var c = bitmap.GetPixel(x, y);
                if (Math.Abs(c.Red - c.Green) > 2 || Math.Abs(c.Green - c.Blue) > 2)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Mean absolute second difference of luma along rows (a 1-D Laplacian): the fine detail of a picture, high when
    /// sharp, near zero once blurred; smooth gradients count for nothing.
    /// </summary>
    private static double Detail(SKBitmap bitmap)
    {
        double sum = 0;
        var count = 0;
        for (var y = 0; y < bitmap.Height; y++)
        {
            for (var x = 1; x < bitmap.Width - 1; x++)
            {
                sum += Math.Abs(Luma(bitmap.GetPixel(x - 1, y)) - (2 * Luma(bitmap.GetPixel(x, y))) + Luma(bitmap.GetPixel(x + 1, y)));
                count++;
            }
        }

        return sum / count;
    }

    private static double Luma(SKColor c) => (0.2126 * c.Red) + (0.7152 * c.Green) + (0.0722 * c.Blue);
}
