namespace Needle.Web.Tests;

/// <summary>The queue page: reports by priority with the score's reasons, filters, claim and unclaim.</summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class QueueTests(ReviewSite site)
{
    [Fact]
    public async Task The_queue_shows_reports_by_priority_escalated_first_then_unknown_media_then_known_material()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync("/queue");
        var order = await page.Locator("#queue > li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.report)");
        var positions = new[] { site.EscalatedReport, site.UnknownReport, site.KnownReport }.Select(id => Array.IndexOf(order, id.ToString())).ToArray();
        Assert.All(positions, p => Assert.True(p >= 0, "a report is missing from the queue: " + string.Join(", ", order)));
        Assert.True(positions[0] < positions[1] && positions[1] < positions[2], "queue order: " + string.Join(", ", order));

        // Each row explains its score.
        var escalated = page.Locator($"li[data-report='{site.EscalatedReport}']");
        Assert.True(await escalated.Locator(".reasons li").CountAsync() > 0);
        Assert.Contains("Escalated", await escalated.InnerTextAsync(), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "02-queue");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Filtering_by_list_keeps_only_reports_matching_it()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync("/queue");
        await page.SelectOptionAsync("select[name=list]", ReviewSite.KnownList);
        await page.ClickAsync("form.filters button[type=submit]");
        var shown = await page.Locator("#queue > li").EvaluateAllAsync<string[]>("items => items.map(i => i.dataset.report)");
        Assert.Contains(site.KnownReport.ToString(), shown);
        Assert.DoesNotContain(site.UnknownReport.ToString(), shown);
        Assert.DoesNotContain(site.EscalatedReport.ToString(), shown);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Claiming_a_report_holds_it_for_the_reviewer_until_unclaimed()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync("/queue");
        await page.Locator($"li[data-report='{site.KnownReport}'] form[action$='/claim'] button").ClickAsync();
        Assert.EndsWith($"/reports/{site.KnownReport}", new Uri(page.Url).AbsolutePath, StringComparison.Ordinal);
        Assert.Contains("You hold this report", await page.InnerTextAsync(".claim-bar"), StringComparison.Ordinal);
        Assert.NotNull(await site.Store.Triage.GetClaimAsync(site.KnownReport, TimeProvider.System.GetUtcNow()));

        await page.ClickAsync(".claim-bar form[action$='/release'] button");
        Assert.Null(await site.Store.Triage.GetClaimAsync(site.KnownReport, TimeProvider.System.GetUtcNow()));
        await page.Context.CloseAsync();
    }
}
