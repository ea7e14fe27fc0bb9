using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Needle.Core.Storage;

namespace Needle.Web.Tests;

/// <summary>
/// The exchanges section of the admin's lists page, in real Chromium, against a fake StopNCII over real HTTP: an admin
/// creates an exchange, fetches it, sees its status with counts, edits it leaving the credentials empty (the stored
/// ones are kept: the provider refuses any other), enables it and deletes it. The secret never appears in the page;
/// a form without the anti-forgery token is refused; reviewers never see the section; each action is audited.
/// </summary>
[Collection(ReviewSiteCollection.Name)]
public sealed class ExchangesPageTests(ReviewSite site)
{
    private const string SubscriptionKey = "sub-SECRET-7f3a9";
    private const string FunctionKey = "fn-SECRET-2c81d";
    private const string Pdq1 = "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e";
    private const string Pdq2 = "c87a171ac826a6fce48478dcb74f21345d2cce8038a39d5e0853964b50af03b9";

    [Fact]
    public async Task An_admin_creates_fetches_edits_and_deletes_an_exchange_and_never_sees_its_secret()
    {
        await using var provider = await StartFakeStopNciiAsync();
        var admin = site.Server.Client(site.AdminKey);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/lists", new { name = "ncii-web", kind = "known" })).StatusCode);

        var page = await site.SignedInPageAsync(site.AdminKey);
        await page.GotoAsync("/lists");
        var form = page.Locator("#new-exchange");
        if (!await form.IsVisibleAsync())
        {
            await page.ClickAsync("#exchanges details:has(#new-exchange) > summary");
        }

        await form.Locator("input[name=name]").FillAsync("ncii-web");
        await form.Locator("select[name=kind]").SelectOptionAsync("stopncii");
        await form.Locator("select[name=list]").SelectOptionAsync("ncii-web");
        await form.Locator("input[name='setting.baseUrl']").FillAsync(provider.BaseAddress + "v1");
        await form.Locator("input[name='credential.subscriptionKey']").FillAsync(SubscriptionKey);
        await form.Locator("input[name='credential.fetchFunctionKey']").FillAsync(FunctionKey);
        // Disabled, so the schedule does not fetch it before "Fetch now" does.
        await form.Locator("input[name=enabled]").UncheckAsync();
        await form.Locator("button[type=submit]").ClickAsync();
        Assert.Contains("Exchange 'ncii-web' created", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        var row = page.Locator("tr[data-exchange='ncii-web']");
        Assert.Equal("false", await row.Locator("[data-enabled]").GetAttributeAsync("data-enabled"));
        Assert.Equal("on", await page.Locator("tr[data-list='ncii-web'] [data-flood-guard]").GetAttributeAsync("data-flood-guard"));
        Assert.Equal("off", await page.Locator($"tr[data-list='{ReviewSite.KnownList}'] [data-flood-guard]").GetAttributeAsync("data-flood-guard"));

        await row.Locator("button[data-action=fetch]").ClickAsync();
        Assert.Contains("fetch of 'ncii-web' is queued", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        await WaitForSuccessAsync(page, 1);
        row = page.Locator("tr[data-exchange='ncii-web']");
        Assert.Equal("2", (await row.Locator("[data-added]").InnerTextAsync()).Trim());
        Assert.Equal("0", (await row.Locator("[data-removed]").InnerTextAsync()).Trim());
        Assert.Equal("2", (await row.Locator("[data-entries]").InnerTextAsync()).Trim());
        Assert.Contains("checkpoint:", await row.Locator("[data-checkpoint]").InnerTextAsync(), StringComparison.Ordinal);
        await ReviewSite.ScreenshotAsync(page, "20-exchanges");
        var html = await page.ContentAsync();
        Assert.DoesNotContain("SECRET", html, StringComparison.Ordinal);
        foreach (var input in await page.Locator("input[type=password]").AllAsync())
        {
            Assert.Equal("", await input.InputValueAsync());
        }

        Assert.Equal(2, (await site.Server.Client(site.AdminKey).GetFromJsonAsync<List<object>>("/api/v1/lists/ncii-web/entries"))!.Count);

        // A quarantined entry of the list shows on the lists page with its rate.
        var entryId = (await site.Server.App.Services.GetRequiredService<INeedleStore>().Lists.GetEntriesAsync("ncii-web"))[0].Id;
        Assert.True(await site.Server.App.Services.GetRequiredService<Needle.Application.Lists.HashListService>().QuarantineAsync(
            new Needle.Core.Lists.EntryQuarantine("ncii-web", entryId, 150, 2.5, TimeSpan.FromHours(1), TimeProvider.System.GetUtcNow())));
        await page.GotoAsync("/lists");
        Assert.Equal("1", await page.Locator("tr[data-list='ncii-web'] [data-quarantined]").GetAttributeAsync("data-quarantined"));
        Assert.StartsWith("150 / ", (await page.Locator($"tr[data-quarantine='ncii-web/{entryId}'] [data-rate]").InnerTextAsync()).Trim(), StringComparison.Ordinal);
        row = page.Locator("tr[data-exchange='ncii-web']");

        // Edited with the credential fields left empty: the stored keys stay (the fake refuses any other).
        await row.Locator("details > summary").ClickAsync();
        var edit = row.Locator("form[data-form=edit]");
        await edit.Locator("input[name=intervalMinutes]").FillAsync("30");
        await edit.Locator("button[type=submit]").ClickAsync();
        Assert.Contains("saved", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        row = page.Locator("tr[data-exchange='ncii-web']");
        Assert.Contains("30 min", await row.InnerTextAsync(), StringComparison.Ordinal);
        await row.Locator("button[data-action=toggle]").ClickAsync();
        row = page.Locator("tr[data-exchange='ncii-web']");
        Assert.Equal("true", await row.Locator("[data-enabled]").GetAttributeAsync("data-enabled"));
        await row.Locator("button[data-action=full-fetch]").ClickAsync();
        await WaitForSuccessAsync(page, 2);
        Assert.DoesNotContain("SECRET", await page.ContentAsync(), StringComparison.Ordinal);
        Assert.All(provider.Seen, static s => Assert.Equal((SubscriptionKey, FunctionKey), s));

        // A form posted without the anti-forgery token is refused.
        var forged = await page.APIRequest.PostAsync("/exchanges/ncii-web/fetch", new APIRequestContextOptions
        {
            Headers = new Dictionary<string, string> { ["Content-Type"] = "application/x-www-form-urlencoded" },
            DataString = "full=false",
            MaxRedirects = 0,
        });
        Assert.Equal(400, forged.Status);

        // Reviewers do not see the section (nor the page).
        var reviewer = await site.SignedInPageAsync(site.ReviewerKey);
        await reviewer.GotoAsync("/lists");
        Assert.DoesNotContain("ncii-web", await reviewer.ContentAsync(), StringComparison.Ordinal);
        Assert.Equal(0, await reviewer.Locator("#exchanges").CountAsync());
        await reviewer.Context.CloseAsync();

        await row.Locator("details > summary").ClickAsync();
        await row.Locator("input[name=confirm]").CheckAsync();
        await row.Locator("button[data-action=delete]").ClickAsync();
        Assert.Contains("deleted", await page.InnerTextAsync(".notice"), StringComparison.Ordinal);
        Assert.Equal(0, await page.Locator("tr[data-exchange='ncii-web']").CountAsync());
        await page.Context.CloseAsync();

        var log = site.Server.App.Services.GetRequiredService<INeedleStore>().Audit;
        var audit = new List<Needle.Core.Audit.AuditEntry>();
        for (var batch = await log.ReadAsync(0, 1000); batch.Count > 0; batch = await log.ReadAsync(batch[^1].Sequence, 1000))
        {
            audit.AddRange(batch);
        }

        var mine = audit.Where(static a => a.Target == "exchange/ncii-web").Select(static a => a.Action).ToList();
        Assert.Equal(["exchange.create", "exchange.fetch", "exchange.update", "exchange.update", "exchange.fetch", "exchange.delete"], mine);
        Assert.DoesNotContain(audit, static a => a.Details is { } d && d.Contains("SECRET", StringComparison.Ordinal));
    }

    // Reloads the lists page until the exchange's fetch number `fetches` has ended in success (the provider counts them).
    private static async Task WaitForSuccessAsync(IPage page, int fetches)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            await page.GotoAsync("/lists");
            var status = page.Locator("tr[data-exchange='ncii-web'] [data-status]");
            if (await status.Locator("[data-success=true]").CountAsync() == 1 && await status.Locator("[data-full-fetch]").CountAsync() == 0
                && await page.Locator("tr[data-exchange='ncii-web'] [data-added]").CountAsync() == 1)
            {
                var text = await page.Locator("tr[data-exchange='ncii-web']").InnerTextAsync();
                if (!text.Contains("never", StringComparison.Ordinal) && (fetches == 1 || text.Contains("full re-fetch", StringComparison.OrdinalIgnoreCase)))
                {
                    return;
                }
            }

            Assert.Equal(0, await status.Locator("[data-success=false]").CountAsync());
            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
        }
    }

    private static async Task<FakeStopNcii> StartFakeStopNciiAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(string, string)>();
        app.Run(async context =>
        {
            var keys = (context.Request.Headers["Ocp-Apim-Subscription-Key"].ToString(), context.Request.Headers["x-functions-key"].ToString());
            seen.Enqueue(keys);
            if (keys != (SubscriptionKey, FunctionKey) || context.Request.Path != "/v1/FetchHashes")
            {
                context.Response.StatusCode = keys != (SubscriptionKey, FunctionKey) ? 401 : 404;
                return;
            }

            var at = TimeProvider.System.GetUtcNow().ToUnixTimeSeconds() - 60;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""
                {"count":2,"nextPageToken":"","nextSetTimestamp":{{at}},"hasMoreRecords":false,"hashRecords":[
                  {"signalType":"ImagePDQ","hashValue":"{{Pdq1}}","hashStatus":"Active"},
                  {"signalType":"ImagePDQ","hashValue":"{{Pdq2}}","hashStatus":"Active"}]}
                """);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeStopNcii(app, new Uri(address + "/"), seen);
    }

    private sealed class FakeStopNcii(WebApplication app, Uri baseAddress, System.Collections.Concurrent.ConcurrentQueue<(string, string)> seen) : IAsyncDisposable
    {
        public Uri BaseAddress { get; } = baseAddress;

        public IReadOnlyCollection<(string, string)> Seen => seen;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}
