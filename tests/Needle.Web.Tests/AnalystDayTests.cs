using System.Globalization;
using Microsoft.Playwright;
using Needle.Core.Triage;

namespace Needle.Web.Tests;

/// <summary>
/// A working day on the review pages: a series decided at once without a reload, keys that act on the focused file
/// only, undo before a decision spreads, claims that hold, the next report, the queue as a table.
/// </summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class AnalystDayTests(ReviewSite site)
{
    [Fact]
    public async Task A_24_file_series_is_decided_with_one_selection_and_one_key_without_a_reload()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey, 1400);
        await page.GotoAsync($"/reports/{site.SeriesReport}?claim=1");
        var series = page.Locator("section[data-series]");
        Assert.Equal(1, await series.CountAsync());
        Assert.Equal(24, await series.Locator("[data-file]").CountAsync());
        Assert.Contains("24 near-duplicates", await series.Locator("h3").InnerTextAsync(), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "10-series-1400");

        // Nothing may navigate: a marker set in this document must survive, and no frame navigation may happen.
        var navigations = 0;
        page.FrameNavigated += (_, frame) => navigations++;
        await page.EvaluateAsync("() => { window.__sameDocument = 'yes'; }");

        // One selection (the whole series), one key.
        await series.Locator("[data-select-series]").ClickAsync();
        Assert.Equal(24, await page.Locator("input[data-pick]:checked").CountAsync());
        Assert.Contains("24 selected", await page.InnerTextAsync("[data-selection-count]"), StringComparison.Ordinal);
        await page.Keyboard.PressAsync("3");
        await Assertions.Expect(page.Locator("[data-file].decided")).ToHaveCountAsync(24);

        Assert.Equal("yes", await page.EvaluateAsync<string>("() => window.__sameDocument"));
        Assert.Equal(0, navigations);
        var decisions = await site.Store.Triage.GetCurrentDecisionsAsync(site.SeriesReport);
        Assert.Equal(24, decisions.Count);
        Assert.All(decisions.Values, d => Assert.Equal((DecisionCategory.CgiOrAnimation, DecisionSource.Analyst), (d.Category, d.Source)));

        // Audited per file.
        var audited = new List<string>();
        long after = 0;
        while (await site.Store.Audit.ReadAsync(after, 1000) is { Count: > 0 } batch)
        {
            audited.AddRange(batch.Where(a => a.Action == "file.decide").Select(a => a.Target));
            after = batch[^1].Sequence;
        }

        Assert.All(decisions.Keys, file => Assert.Single(audited, $"file/{file}"));

        // After the last decision: the next report is offered (and n takes it).
        await Assertions.Expect(page.Locator("#all-decided")).ToBeVisibleAsync();
        await ReviewSite.ScreenshotAsync(page, "11-series-decided-1400");
        await page.SetViewportSizeAsync(800, 900);
        await ReviewSite.ScreenshotAsync(page, "11-series-decided-800");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_digit_decides_the_file_that_has_focus_and_never_the_highlighted_one_and_undo_restores_it()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.FocusReport}?claim=1");
        var report = (await site.Store.Reports.GetAsync(site.FocusReport))!;
        var file4 = report.Files.Single(f => f.Ordinal == 3).Id;
        var file6 = report.Files.Single(f => f.Ordinal == 5).Id;

        // File 4 is the highlighted file (j four times); then focus goes to File 6's Reveal button.
        for (var i = 0; i < 4; i++)
        {
            await page.Keyboard.PressAsync("j");
        }

        await Assertions.Expect(page.Locator($"#file-{file4:N}")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bcurrent\b"));
        await page.Locator($"#file-{file6:N} [data-reveal-button]").FocusAsync();
        await page.Keyboard.PressAsync("4");
        await Assertions.Expect(page.Locator($"#file-{file6:N}")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bdecided\b"));

        var decisions = await site.Store.Triage.GetCurrentDecisionsAsync(site.FocusReport);
        Assert.Equal(DecisionCategory.Comparison, decisions[file6].Category);
        Assert.False(decisions.ContainsKey(file4), "File 4 was decided");
        Assert.DoesNotContain("decided", await page.Locator($"#file-{file4:N}").GetAttributeAsync("class") ?? "", StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#undo-panel")).ToBeVisibleAsync();
        await ReviewSite.ScreenshotAsync(page, "12-focus-decided-undo-offered");

        // u undoes it: File 6 is undecided again, in the store too.
        await page.Keyboard.PressAsync("u");
        await Assertions.Expect(page.Locator($"#file-{file6:N}.decided")).ToHaveCountAsync(0);
        Assert.Empty(await site.Store.Triage.GetCurrentDecisionsAsync(site.FocusReport));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Undo_restores_the_previous_state_and_nothing_spreads_to_the_copy_in_another_report()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        await page.GotoAsync($"/reports/{site.UndoReport}?claim=1");
        var fileId = (await site.Store.Reports.GetAsync(site.UndoReport))!.Files[0].Id;
        var copyId = (await site.Store.Reports.GetAsync(site.UndoCopyReport))!.Files[0].Id;

        await page.Keyboard.PressAsync("j");
        await page.Keyboard.PressAsync("1");
        await Assertions.Expect(page.Locator("[data-file].decided")).ToHaveCountAsync(1);
        Assert.True((await site.Store.Triage.GetCurrentDecisionsAsync(site.UndoReport)).ContainsKey(fileId));
        Assert.Empty(await site.Store.Triage.GetCurrentDecisionsAsync(site.UndoCopyReport));

        await page.ClickAsync("[data-undo-button]");
        await Assertions.Expect(page.Locator("[data-file].decided")).ToHaveCountAsync(0);
        Assert.Contains("nothing was applied to its copies", await page.InnerTextAsync("#page-message"), StringComparison.Ordinal);
        Assert.Empty(await site.Store.Triage.GetCurrentDecisionsAsync(site.UndoReport));
        Assert.Empty(await site.Store.Triage.GetDecisionHistoryAsync(fileId));

        // The window of the undone decision ends: still nothing on the copy, nothing on the organisation's list for it.
        await site.EndUndoWindowsAsync();
        Assert.Empty(await site.Store.Triage.GetCurrentDecisionsAsync(site.UndoCopyReport));

        // Decided again (the key acts on the file that has focus) and left alone: when the window ends it reaches the copy.
        await page.Locator("[data-file]").First.FocusAsync();
        await page.Keyboard.PressAsync("0");
        await Assertions.Expect(page.Locator("[data-file].decided")).ToHaveCountAsync(1);
        await site.EndUndoWindowsAsync();
        var carried = (await site.Store.Triage.GetCurrentDecisionsAsync(site.UndoCopyReport))[copyId];
        Assert.Equal((DecisionCategory.NonPertinent, DecisionSource.SameHash), (carried.Category, carried.Source));

        // Too late now: the undo is refused and says so.
        await page.ClickAsync("[data-undo-button]");
        await Assertions.Expect(page.Locator("#page-message")).ToContainTextAsync("Too late to undo");
        Assert.Single(await site.Store.Triage.GetCurrentDecisionsAsync(site.UndoReport));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_report_claimed_by_someone_else_is_read_only_names_the_holder_and_refuses_reveals_and_decisions()
    {
        var holder = await site.SignedInPageAsync(site.ReviewerKey);
        await holder.GotoAsync($"/reports/{site.ClaimReport}?claim=1");
        Assert.Contains("You hold this report", await holder.InnerTextAsync(".claim-bar"), StringComparison.Ordinal);

        var other = await site.SignedInPageAsync(site.SecondReviewerKey);

        // Left out of the other reviewer's queue by default; shown with the holder's name when asked for.
        await other.GotoAsync("/queue");
        Assert.Equal(0, await other.Locator($"li[data-report='{site.ClaimReport}']").CountAsync());
        await other.GotoAsync("/queue?claimed=show");
        var row = other.Locator($"li[data-report='{site.ClaimReport}']");
        Assert.Contains("Claimed by Analyst A", await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("View read-only", await row.InnerTextAsync(), StringComparison.Ordinal);

        // Opening it (even from the queue's link) does not take it: read-only, no reveal, no decision controls.
        await other.GotoAsync($"/reports/{site.ClaimReport}?claim=1");
        Assert.Contains("Claimed by Analyst A", await other.InnerTextAsync("#read-only"), StringComparison.Ordinal);
        Assert.Equal(0, await other.Locator("[data-reveal-button], form[data-batch], input[data-pick], form[data-decide], form[data-false-positive]").CountAsync());
        await ReviewSite.ScreenshotAsync(other, "13-report-read-only");

        // Enforced by the server too, whatever the page shows: 409 on a decision, 403 on a reveal.
        var token = await other.Locator("input[name=__csrf]").First.GetAttributeAsync("value");
        var fileId = (await site.Store.Reports.GetAsync(site.ClaimReport))!.Files[0].Id;
        var decide = await other.APIRequest.PostAsync($"/reports/{site.ClaimReport}/decisions", new APIRequestContextOptions
        {
            Form = other.APIRequest.CreateFormData().Set("__csrf", token!).Set("file", fileId.ToString()).Set("category", "0"),
            Headers = new Dictionary<string, string> { ["Accept"] = "application/json" },
            MaxRedirects = 0,
        });
        Assert.Equal(409, decide.Status);
        Assert.Contains("Analyst A", await decide.TextAsync(), StringComparison.Ordinal);
        var single = await other.APIRequest.PostAsync($"/reports/{site.ClaimReport}/files/{fileId}/decision", new APIRequestContextOptions
        {
            Form = other.APIRequest.CreateFormData().Set("__csrf", token!).Set("category", "0"),
            MaxRedirects = 0,
        });
        Assert.Equal(409, single.Status);
        var reveal = await other.APIRequest.GetAsync($"/web/files/{fileId}/reveal");
        Assert.Equal(403, reveal.Status);
        Assert.Empty(await site.Store.Triage.GetCurrentDecisionsAsync(site.ClaimReport));
        await other.Context.CloseAsync();

        // The holder moves on with n: the claim on this report ends, the next report opens claimed for them.
        await holder.Keyboard.PressAsync("n");
        await holder.WaitForURLAsync(url => !url.Contains(site.ClaimReport.ToString(), StringComparison.Ordinal) && url.Contains("/reports/", StringComparison.Ordinal));
        var next = Guid.Parse(new Uri(holder.Url).AbsolutePath.Split('/')[^1]);
        Assert.NotEqual(site.ClaimReport, next);
        Assert.Null(await site.Store.Triage.GetClaimAsync(site.ClaimReport, TimeProvider.System.GetUtcNow()));
        var claim = await site.Store.Triage.GetClaimAsync(next, TimeProvider.System.GetUtcNow());
        Assert.NotNull(claim);
        Assert.Contains("You hold this report", await holder.InnerTextAsync(".claim-bar"), StringComparison.Ordinal);
        await holder.ClickAsync(".claim-bar form[action$='/release'] button");
        await holder.Context.CloseAsync();
    }

    [Fact]
    public async Task The_queue_as_a_table_counts_sorts_moves_with_j_k_and_opens_with_Enter_and_says_when_filters_match_nothing()
    {
        foreach (var width in new[] { 1400, 800 })
        {
            var page = await site.SignedInPageAsync(site.ThirdReviewerKey, width);
            await page.GotoAsync("/queue?view=table");
            var rows = page.Locator("#queue-table tbody tr");
            var total = int.Parse(await page.InnerTextAsync("#queue-total"), CultureInfo.InvariantCulture);
            Assert.True(total >= 5, $"total {total}");
            Assert.Equal(Math.Min(total, 25), await rows.CountAsync());
            Assert.Equal(await page.EvaluateAsync<int>("() => window.innerWidth"), await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth"));
            await ReviewSite.ScreenshotAsync(page, $"14-queue-table-{width}");

            // A hash-only file is unassessable, not unknown (possibly new) material.
            var hashOnly = page.Locator($"#queue-table tr[data-report='{site.HashOnlyReport}'] td");
            Assert.Equal(("1", "0", "1"), (await hashOnly.Nth(3).InnerTextAsync(), await hashOnly.Nth(5).InnerTextAsync(), await hashOnly.Nth(6).InnerTextAsync()));

            // Sorted by files: the whole queue is, not this page only (the rows are the store's first page in that order).
            await page.ClickAsync("#queue-table th a:text('Files')");
            await page.WaitForURLAsync(url => url.Contains("sort=files", StringComparison.Ordinal));
            var files = (await page.Locator("#queue-table tbody tr td:nth-child(4)").AllInnerTextsAsync()).Select(t => int.Parse(t, CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(files.OrderByDescending(f => f).ToList(), files);
            var caption = await page.InnerTextAsync("#queue-table caption");
            Assert.Contains("Sorted by files, most first", caption, StringComparison.Ordinal);
            Assert.DoesNotContain("this page.", caption, StringComparison.Ordinal);
            var byFiles = await site.Store.Triage.QueueAsync(
                new QueueQuery { Order = QueueOrder.Files, ExcludeClaimedByOthers = true, Viewer = site.ThirdReviewerId.ToString("N"), Limit = 25 }, TimeProvider.System.GetUtcNow());
            var shown = await page.Locator("#queue-table tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.report)");
            Assert.Equal(byFiles.Items.Select(i => i.Report.Id.ToString()), shown);
            await page.Context.CloseAsync();
        }

        var reviewer = await site.SignedInPageAsync(site.ThirdReviewerKey);
        await reviewer.GotoAsync("/queue?view=table");
        var first = await reviewer.Locator("#queue-table tbody tr").First.GetAttributeAsync("data-report");
        var second = await reviewer.Locator("#queue-table tbody tr").Nth(1).GetAttributeAsync("data-report");
        await reviewer.Keyboard.PressAsync("j");
        await reviewer.Keyboard.PressAsync("j");
        await reviewer.Keyboard.PressAsync("k");
        await reviewer.Keyboard.PressAsync("j");
        await Assertions.Expect(reviewer.Locator($"#queue-table tr[data-report='{second}']")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bcurrent\b"));
        await reviewer.Keyboard.PressAsync("Enter");
        await reviewer.WaitForURLAsync(url => url.Contains($"/reports/{second}", StringComparison.Ordinal));
        Assert.NotEqual(first, second);
        Assert.NotNull(await site.Store.Triage.GetClaimAsync(Guid.Parse(second!), TimeProvider.System.GetUtcNow()));
        await reviewer.ClickAsync(".claim-bar form[action$='/release'] button");

        // Honest empty states.
        await reviewer.GotoAsync("/queue?reporter=nobody-at-all");
        Assert.Contains("No report matches these filters.", await reviewer.InnerTextAsync("#queue-empty"), StringComparison.Ordinal);
        Assert.Equal("0", await reviewer.InnerTextAsync("#queue-total"));
        await ReviewSite.ScreenshotAsync(reviewer, "15-queue-no-match");
        await reviewer.Context.CloseAsync();
    }

    [Fact]
    public async Task Shortcuts_can_be_remapped_or_turned_off_per_person()
    {
        var page = await site.SignedInPageAsync(site.ThirdReviewerKey);
        await page.GotoAsync("/preferences#shortcuts");
        await page.FillAsync("#key-next", "w");
        await page.ClickAsync("#shortcut-preferences button.primary");
        await page.GotoAsync($"/reports/{site.RevealReport}");
        await page.Keyboard.PressAsync("j");
        Assert.Equal(0, await page.Locator("[data-file].current").CountAsync());
        await page.Keyboard.PressAsync("w");
        Assert.Equal(1, await page.Locator("[data-file].current").CountAsync());

        await page.GotoAsync("/preferences#shortcuts");
        Assert.Equal("w", await page.InputValueAsync("#key-next"));
        await page.CheckAsync("#shortcuts-off");
        await page.ClickAsync("#shortcut-preferences button.primary");
        await page.GotoAsync($"/reports/{site.RevealReport}");
        Assert.Equal("off", await page.GetAttributeAsync("body", "data-keys"));
        await page.Keyboard.PressAsync("w");
        await page.Keyboard.PressAsync("r");
        Assert.Equal(0, await page.Locator("[data-file].current, [data-file].revealed").CountAsync());

        // Someone else keeps the default keys.
        var other = await site.SignedInPageAsync(site.ReviewerKey);
        await other.GotoAsync($"/reports/{site.RevealReport}");
        Assert.Contains("\"next\":\"j\"", await other.GetAttributeAsync("body", "data-keys") ?? "", StringComparison.Ordinal);
        await other.Context.CloseAsync();

        await page.GotoAsync("/preferences#shortcuts");
        await page.ClickAsync("#shortcut-preferences button[name=reset]");
        await page.Context.CloseAsync();
    }
}
