using System.Net;
using Microsoft.Playwright;
using Needle.Core.Access;

namespace Needle.Web.Tests;

/// <summary>Sign-in with a key, the cookie session, anti-forgery, sign-out and revocation, in a real browser.</summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class SessionTests(ReviewSite site)
{
    [Fact]
    public async Task A_page_cannot_be_opened_without_a_session()
    {
        var page = await site.NewPageAsync();
        foreach (var path in new[] { "/", "/queue", $"/reports/{site.UnknownReport}", "/lists", "/audit", "/preferences" })
        {
            await page.GotoAsync(path);
            Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        }

        Assert.Contains("returnUrl=%2Fpreferences", page.Url, StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "01-sign-in");

        // Media is refused outright (no redirect to follow), and the API does not accept a session instead of a key.
        var thumbnail = await page.APIRequest.GetAsync($"/web/files/{Guid.NewGuid()}/thumbnail");
        Assert.Equal((int)HttpStatusCode.Unauthorized, thumbnail.Status);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_submitter_key_is_refused_with_a_clear_message()
    {
        var page = await site.NewPageAsync();
        await page.GotoAsync("/signin");
        await page.FillAsync("#key", site.SubmitterKey);
        await page.ClickAsync("button[type=submit]");
        var problem = await page.TextContentAsync("#signin-problem");
        Assert.Contains("submitter key", problem, StringComparison.Ordinal);
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "01b-sign-in-refused");

        await page.FillAsync("#key", "ndl_not-a-key");
        await page.ClickAsync("button[type=submit]");
        Assert.Contains("not valid", await page.TextContentAsync("#signin-problem"), StringComparison.Ordinal);
        Assert.DoesNotContain(await page.Context.CookiesAsync(), c => c.Name == "needle_session");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_session_cookie_is_http_only_same_site_strict_and_opens_only_the_pages()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        Assert.EndsWith("/queue", page.Url, StringComparison.Ordinal);
        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == "needle_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);

        // The API keeps requiring a key: the session cookie alone is refused.
        var api = await page.APIRequest.GetAsync("/api/v1/reports");
        Assert.Equal((int)HttpStatusCode.Unauthorized, api.Status);

        // A reviewer cannot open the admin's or the auditor's pages.
        var lists = await page.APIRequest.GetAsync("/lists", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.Equal((int)HttpStatusCode.Forbidden, lists.Status);
        var audit = await page.APIRequest.GetAsync("/audit", new APIRequestContextOptions { MaxRedirects = 0 });
        Assert.Equal((int)HttpStatusCode.Forbidden, audit.Status);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_form_without_the_anti_forgery_token_is_refused()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        var response = await page.APIRequest.PostAsync($"/queue/{site.KnownReport}/claim", new APIRequestContextOptions
        {
            Form = page.APIRequest.CreateFormData(),
            MaxRedirects = 0,
        });
        Assert.Equal((int)HttpStatusCode.BadRequest, response.Status);
        Assert.Null(await site.Store.Triage.GetClaimAsync(site.KnownReport, TimeProvider.System.GetUtcNow()));
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Signing_out_ends_the_session_and_its_cookie_no_longer_works()
    {
        var page = await site.SignedInPageAsync(site.ReviewerKey);
        var cookies = await page.Context.CookiesAsync();
        await page.ClickAsync("#sign-out");
        Assert.Contains("/signin?signedOut=1", page.Url, StringComparison.Ordinal);

        // The old cookie, replayed in another browser, opens nothing: the session ended on the server.
        var replay = await site.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = site.BaseAddress.ToString().TrimEnd('/') });
        await replay.AddCookiesAsync(cookies.Select(c => new Microsoft.Playwright.Cookie { Name = c.Name, Value = c.Value, Domain = c.Domain, Path = c.Path }));
        var replayed = await replay.NewPageAsync();
        await replayed.GotoAsync("/queue");
        Assert.Contains("/signin", replayed.Url, StringComparison.Ordinal);

        var audit = await AuditActionsAsync();
        Assert.Contains("session.signin", audit);
        Assert.Contains("session.signout", audit);
        await replay.CloseAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Revoking_the_key_ends_its_sessions()
    {
        var (id, key) = await site.Server.CreateKeyAsync(ApiRole.Reviewer, "short-lived");
        var page = await site.SignedInPageAsync(key);
        var revoke = await site.Server.Client(site.AdminKey).DeleteAsync($"/api/v1/keys/{id}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        await page.GotoAsync("/queue");
        Assert.Contains("/signin", page.Url, StringComparison.Ordinal);
        await page.Context.CloseAsync();
    }

    private async Task<List<string>> AuditActionsAsync() =>
        [.. (await site.Store.Audit.ReadAsync(0, 10_000)).Select(e => e.Action)];
}
