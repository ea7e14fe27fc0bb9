using Microsoft.Playwright;

namespace Needle.Web.Tests;

/// <summary>
/// Narrow and wide screens, contrast and labels, checked in the browser from computed styles (an axe-style check of
/// what WCAG 2.1 asks here: 1.4.11 non-text contrast of focus rings and borders, 1.3.1 labels, 1.4.10 reflow).
/// </summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class AccessibilityTests(ReviewSite site)
{
    // Relative luminance and contrast (WCAG 2.1), of an element's computed colour against the first opaque background
    // behind it; "outline" measures the focus ring, "border" the input's border.
    private const string ContrastScript = """
        ([selector, which]) => {
          const parse = c => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
          const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
          const el = document.querySelector(selector);
          if (!el) return -1;
          const style = getComputedStyle(el);
          const fg = parse(which === 'outline' ? style.outlineColor : style.borderTopColor);
          let node = which === 'outline' ? el.parentElement : el.parentElement, bg = null;
          while (node) { const b = parse(getComputedStyle(node).backgroundColor); if (b && b.a > 0.9) { bg = b; break; } node = node.parentElement; }
          bg = bg || { r: 255, g: 255, b: 255 };
          const [hi, lo] = [lum(fg), lum(bg)].sort((x, y) => y - x);
          return (hi + 0.05) / (lo + 0.05);
        }
        """;

    [Theory]
    [InlineData(1400)]
    [InlineData(800)]
    public async Task Every_page_fits_the_screen_has_labels_and_contrast_of_3_to_1_for_focus_rings_and_borders(int width)
    {
        var reviewer = await site.SignedInPageAsync(site.ReviewerKey, width);
        foreach (var (path, name) in new[] { ("/queue", "queue"), ("/queue?view=table", "queue-table"), ($"/reports/{site.UnknownReport}", "report"), ($"/reports/{site.EscalatedReport}", "report-escalated"), ("/preferences", "preferences") })
        {
            await reviewer.GotoAsync(path);
            await AssertFitsAndLabelledAsync(reviewer, path);
            await ReviewSite.ScreenshotAsync(reviewer, $"20-{name}-{width}");
        }

        // The queue's reasons wrap.
        await reviewer.GotoAsync("/queue");
        Assert.Equal("normal", await reviewer.EvaluateAsync<string>("() => getComputedStyle(document.querySelector('.reasons li')).whiteSpace"));

        // Focus ring and input border against their background: 3:1 or more.
        await reviewer.FocusAsync("form.filters input[name=jurisdiction]");
        var inputBorder = await reviewer.EvaluateAsync<double>(ContrastScript, new object[] { "form.filters input[name=jurisdiction]", "border" });
        Assert.True(inputBorder >= 3, $"input border contrast {inputBorder:0.00}:1");
        await reviewer.Keyboard.PressAsync("Tab");
        var focused = await reviewer.EvaluateAsync<string>("() => { const e = document.activeElement; e.setAttribute('data-focused', '1'); return e.tagName; }");
        var ring = await reviewer.EvaluateAsync<double>(ContrastScript, new object[] { "[data-focused]", "outline" });
        Assert.True(ring >= 3, $"focus ring contrast {ring:0.00}:1 on {focused}");
        var buttonBorder = await reviewer.EvaluateAsync<double>(ContrastScript, new object[] { "form.filters button[type=submit]", "border" });
        Assert.True(buttonBorder >= 3, $"button border contrast {buttonBorder:0.00}:1");

        // The first report within three tab stops: the skip link, Enter, then the report.
        await reviewer.GotoAsync("/queue");
        await reviewer.Keyboard.PressAsync("Tab");
        Assert.Equal("Skip to the reports", await reviewer.EvaluateAsync<string>("() => document.activeElement.textContent"));
        await reviewer.Keyboard.PressAsync("Enter");
        await reviewer.Keyboard.PressAsync("Tab");
        var firstReport = await reviewer.Locator("#queue [data-report]").First.GetAttributeAsync("data-report");
        Assert.Equal($"/reports/{firstReport}?claim=1", await reviewer.EvaluateAsync<string>("() => document.activeElement.getAttribute('href')"));

        // On the escalated report the incident (with the escalation) comes before the files; on a narrow screen above them.
        await reviewer.GotoAsync($"/reports/{site.EscalatedReport}");
        var incident = (await reviewer.Locator("#incident").BoundingBoxAsync())!;
        var files = (await reviewer.Locator("section.files").BoundingBoxAsync())!;
        if (width < 980)
        {
            Assert.True(incident.Y + incident.Height <= files.Y, $"incident at {incident.Y}, files at {files.Y}");
        }
        else
        {
            Assert.True(incident.X > files.X && incident.Y < files.Y + files.Height, "the incident is not beside the files");
        }

        await reviewer.Context.CloseAsync();

        // The audit log names people, and its wide table scrolls in its box.
        var auditor = await site.SignedInPageAsync(site.AuditorKey, width);
        await auditor.GotoAsync("/audit");
        await AssertFitsAndLabelledAsync(auditor, "/audit");
        var actors = await auditor.Locator("#audit td.actor").AllInnerTextsAsync();
        Assert.Contains("Analyst A", actors);
        Assert.DoesNotContain(actors, a => System.Text.RegularExpressions.Regex.IsMatch(a, "^[0-9a-f]{16,}"));
        await ReviewSite.ScreenshotAsync(auditor, $"21-audit-{width}");
        await auditor.Context.CloseAsync();

        var admin = await site.SignedInPageAsync(site.AdminKey, width);
        await admin.GotoAsync($"/lists/{ReviewSite.KnownList}");
        await AssertFitsAndLabelledAsync(admin, "/lists/" + ReviewSite.KnownList);
        await ReviewSite.ScreenshotAsync(admin, $"22-list-entries-{width}");
        await admin.GotoAsync("/lists");
        await AssertFitsAndLabelledAsync(admin, "/lists");
        await ReviewSite.ScreenshotAsync(admin, $"23-lists-{width}");
        await admin.Context.CloseAsync();
    }

    /// <summary>No horizontal scrolling of the page (wide tables scroll inside their box), and every visible control has a label.</summary>
    private static async Task AssertFitsAndLabelledAsync(IPage page, string path)
    {
        var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        Assert.True(overflow <= 0, $"{path}: the page is {overflow} px wider than the screen");
        var unlabelled = await page.EvaluateAsync<string[]>("""
            () => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
              .filter(e => e.offsetParent !== null && e.labels.length === 0 && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
              .map(e => e.outerHTML.slice(0, 80))
            """);
        Assert.True(unlabelled.Length == 0, $"{path}: controls without a label: " + string.Join(" | ", unlabelled));
    }
}
