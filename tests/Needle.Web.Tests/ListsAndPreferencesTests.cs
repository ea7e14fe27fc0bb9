using System.Text;
using Microsoft.Playwright;

namespace Needle.Web.Tests;

/// <summary>The admin's lists page (entries, import, export) and the preferences page (per person and organisation).</summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class ListsAndPreferencesTests(ReviewSite site)
{
    private const string Pdq1 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    private const string Pdq2 = "0f07cf0e1e1e3c3c78787070e0e0c1c18383070f0e1e1c3c3878f0f0e0e1c1c3";

    [Fact]
    public async Task An_admin_creates_a_list_imports_a_file_into_it_and_exports_it()
    {
        var page = await site.SignedInPageAsync(site.AdminKey);
        Assert.EndsWith("/lists", page.Url, StringComparison.Ordinal);
        await page.FillAsync("input[name=name]", "imported-test");
        await page.ClickAsync("form[action='/lists'] button[type=submit]");
        Assert.EndsWith("/lists/imported-test", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);

        // The CSV `needle hash` prints: PDQ hash, quality, path.
        var csv = "hash,quality,path\n" + Pdq1 + ",100,one.jpg\n" + Pdq2 + ",90,two.jpg\n";
        await page.SetInputFilesAsync("input[type=file]", new FilePayload { Name = "list.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv) });
        await page.ClickAsync("form[action$='/import'] button[type=submit]");
        Assert.Contains("Imported 2 entries", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        Assert.Equal(2, await page.Locator("#entries tbody tr").CountAsync());
        await ReviewSite.ScreenshotAsync(page, "08-list-entries");

        var export = await page.APIRequest.GetAsync("/lists/imported-test/export?format=csv");
        Assert.Equal(200, export.Status);
        Assert.Contains(Pdq1, await export.TextAsync(), StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_reviewer_chooses_a_larger_thumbnail_and_the_server_sends_it_so()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync("/preferences");
        await page.SelectOptionAsync("#my-preferences select[name=size]", "144");
        await page.ClickAsync("#my-preferences button.primary");
        Assert.Contains("saved", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "09-preferences");

        await page.GotoAsync($"/reports/{site.KnownReport}");
        var src = await page.Locator("img.thumb").First.GetAttributeAsync("src");
        using var thumbnail = SkiaSharp.SKBitmap.Decode(await (await page.APIRequest.GetAsync(src!)).BodyAsync());
        Assert.Equal(144, Math.Max(thumbnail.Width, thumbnail.Height));

        // Back to the organisation's defaults for the other tests.
        await page.GotoAsync("/preferences");
        await page.ClickAsync("#my-preferences button[name=reset]");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task An_admin_sets_the_organisation_defaults_including_the_break_reminder()
    {
        var page = await site.SignedInPageAsync(site.AdminKey);
        await page.GotoAsync("/preferences");
        await page.FillAsync("#org-preferences input[name=breakMinutes]", "45");
        await page.ClickAsync("#org-preferences button[type=submit]");
        Assert.Contains("45", await page.InputValueAsync("#org-preferences input[name=breakMinutes]"), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "10-preferences-admin");
        await page.Context.CloseAsync();

        var reviewer = await site.SignedInPageAsync(site.ReviewerKey);
        Assert.Equal("45", await reviewer.GetAttributeAsync("body", "data-break-minutes"));
        await reviewer.Context.CloseAsync();
    }
}
