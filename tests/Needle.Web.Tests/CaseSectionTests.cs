using System.IO.Compression;
using Microsoft.Playwright;

namespace Needle.Web.Tests;

/// <summary>The case section of the report page (notes, outcome, export package) and the admins' assignment page.</summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class CaseSectionTests(ReviewSite site)
{
    [Fact]
    public async Task A_reviewer_adds_a_note_records_a_referral_and_downloads_the_export_and_an_admin_assigns_the_report()
    {
        var report = site.KnownReport;

        // The admin assigns the report to the reviewer ("Analyst A") on the assignment page.
        var admin = await site.SignedInPageAsync(site.AdminKey);
        await admin.GotoAsync($"/assignments?report={report:N}");
        await admin.SelectOptionAsync("#assign-reviewer", new SelectOptionValue { Label = "Analyst A" });
        await admin.ClickAsync("#assign-form button[type=submit]");
        Assert.Contains("Report assigned.", await admin.InnerTextAsync(".notice"), StringComparison.Ordinal);
        await admin.Context.CloseAsync();

        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync("/queue");
        await Assertions.Expect(page.Locator($"li[data-report='{report}'] .badge-assigned")).ToHaveTextAsync("Assigned to you");

        await page.GotoAsync($"/reports/{report}");
        var section = page.Locator("section.case");
        await Assertions.Expect(section.Locator(".case-assignment")).ToContainTextAsync("Assigned to you");

        // A note typed with digits and letters decides nothing: shortcuts stay out of text fields.
        await page.FillAsync("#case-note-text", "Called the platform 1 2 r j.");
        await page.ClickAsync("#case-note-form button[type=submit]");
        await Assertions.Expect(page.Locator("section.case .case-note")).ToContainTextAsync("Called the platform 1 2 r j.");
        Assert.Empty(await site.Store.Triage.GetCurrentDecisionsAsync(report));

        await page.SelectOptionAsync("#case-outcome-kind", "referral");
        await page.FillAsync("#case-outcome-recipient", "FR: OFMIN");
        await page.ClickAsync("#case-outcome-form button[type=submit]");
        await Assertions.Expect(page.Locator("section.case .case-outcome")).ToContainTextAsync("Referred to FR: OFMIN");

        // A referral without a recipient is refused with a reason.
        await page.SelectOptionAsync("#case-outcome-kind", "referral");
        await page.ClickAsync("#case-outcome-form button[type=submit]");
        Assert.Contains("recipient is required", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);

        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#case-export-form button[type=submit]"));
        Assert.Equal($"needle-report-{report:N}.zip", download.SuggestedFilename);
        var path = Path.Combine(ReviewSite.ScreenshotFolder, download.SuggestedFilename);
        await download.SaveAsAsync(path);
        using (var zip = ZipFile.OpenRead(path))
        {
            Assert.Equal(["manifest.json", "package.json", "summary.html"], zip.Entries.Select(e => e.FullName).Order(StringComparer.Ordinal));
        }

        await ReviewSite.ScreenshotAsync(page, "12-report-case");
        var audit = await site.Store.Audit.ReadAsync(0, 10_000);
        Assert.Contains(audit, e => e.Action == "report.export" && e.Target == $"report/{report}");
        Assert.Contains(audit, e => e.Action == "report.assign" && e.Target == $"report/{report}");
        await page.Context.CloseAsync();
    }
}
