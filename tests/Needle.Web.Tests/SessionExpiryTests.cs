using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using Needle.Testing.Server;

namespace Needle.Web.Tests;

/// <summary>
/// Sessions end after the idle timeout, and after their lifetime however active: a server on a fake clock, driven by
/// the real browser (no waiting).
/// </summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class SessionExpiryTests(ReviewSite site)
{
    [Fact]
    public async Task A_session_ends_after_30_idle_minutes_and_after_8_hours_however_active()
    {
        var clock = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0, TimeProvider = clock });
        var context = await site.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString().TrimEnd('/') });
        var page = await context.NewPageAsync();

        async Task SignInAsync()
        {
            await page.GotoAsync("/signin");
            await page.FillAsync("#key", server.AdminKey);
            await page.ClickAsync("button[type=submit]");
            Assert.EndsWith("/lists", page.Url, StringComparison.Ordinal);
        }

        // Idle: 29 minutes is fine, then 31 minutes without a request ends it.
        await SignInAsync();
        clock.Advance(TimeSpan.FromMinutes(29));
        await page.GotoAsync("/lists");
        Assert.EndsWith("/lists", page.Url, StringComparison.Ordinal);
        clock.Advance(TimeSpan.FromMinutes(31));
        await page.GotoAsync("/lists");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);

        // Active all day: a request every 20 minutes keeps it open until 8 hours after sign-in, not one request longer.
        await SignInAsync();
        for (var elapsed = 20; elapsed < 8 * 60; elapsed += 20)
        {
            clock.Advance(TimeSpan.FromMinutes(20));
            await page.GotoAsync("/lists");
            Assert.True(page.Url.EndsWith("/lists", StringComparison.Ordinal), $"signed out after {elapsed} minutes of activity");
        }

        clock.Advance(TimeSpan.FromMinutes(21));
        await page.GotoAsync("/lists");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await context.CloseAsync();
    }
}
