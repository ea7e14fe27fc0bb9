namespace Needle.Web.Tests;

/// <summary>
/// Issue 14, finding 2, in a real browser: a sign-in form carrying a hostile returnUrl (as a crafted page would send
/// it) lands on the queue, never on another site. Before the fix Chromium followed "/\t/evil.example/" to
/// //evil.example/, and "\n" made the sign-in answer 500.
/// </summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class ReturnUrlTests(ReviewSite site)
{
    [Fact]
    public async Task A_hostile_return_url_lands_on_the_queue_in_the_browser()
    {
        var failures = new List<string>();
        foreach (var returnUrl in new[] { "//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/", "%2F%2Fevil.example/", "https://evil.example/" })
        {
            var page = await site.NewPageAsync();
            await page.GotoAsync("/signin");

            // The form as a hostile page would post it: the hidden field added by hand (the server never renders it).
            await page.EvaluateAsync(
                "url => { const f = document.querySelector('form[action=\"/signin\"]'); const i = document.createElement('input'); i.type = 'hidden'; i.name = 'returnUrl'; i.value = url; f.appendChild(i); }",
                returnUrl);
            await page.FillAsync("#key", site.ReviewerKey);
            await page.ClickAsync("button[type=submit]");
            await page.WaitForURLAsync(static url => !url.Contains("/signin", StringComparison.Ordinal));
            var landed = new Uri(page.Url);
            if (landed.Authority != site.BaseAddress.Authority || landed.AbsolutePath != "/queue")
            {
                failures.Add($"{Uri.EscapeDataString(returnUrl)}: landed on {page.Url}");
            }

            await page.Context.CloseAsync();
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
