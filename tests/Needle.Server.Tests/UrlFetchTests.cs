using System.Net;
using System.Net.Http.Json;
using Needle.Core.Access;
using Needle.Server.UrlFetch;
using Needle.Testing;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// URL fetching on the HMA routes against a real HTTP server on loopback: refused by default, refused for a loopback
/// address unless the test-only switch allows it, refused for a host off the allow-list (also after a redirect), for an
/// internal address reached by a redirect (without ever connecting), for a body over the limit (with or without a
/// Content-Length) and for a body that is not media; and, with loopback allowed, hashed and matched for real.
/// </summary>
public sealed class UrlFetchTests
{
    private static readonly byte[] Flowers = File.ReadAllBytes(TestPaths.PdqFile("photos/p04_flowers.png"));

    [Fact]
    public async Task A_url_is_refused_by_default_without_contacting_the_host()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Integration)).Key);

        foreach (var route in new[] { "/h/hash?url=", "/m/lookup?url=" })
        {
            var response = await client.GetAsync(route + Uri.EscapeDataString(media.Url("/flowers.png")));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("turned off", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, media.Requests);
    }

    [Fact]
    public async Task A_loopback_address_is_refused_when_loopback_is_not_allowed_even_for_an_allowed_host()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            UrlFetch = new UrlFetchOptions { Enabled = true, AllowedHosts = ["127.0.0.1", "localhost"] },
        });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        // By address, and by a name that resolves to loopback (the check is on the resolved address).
        foreach (var url in new[] { media.Url("/flowers.png"), media.LocalhostUrl("/flowers.png") })
        {
            var response = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(url));
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("not a public address", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Equal(0, media.Requests);
    }

    [Fact]
    public async Task A_host_off_the_allow_list_is_refused()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            UrlFetch = new UrlFetchOptions { Enabled = true, AllowedHosts = ["media.example.org"], AllowLoopbackForTesting = true },
        });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        var response = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(media.Url("/flowers.png")));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("not on this server's list of hosts", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, media.Requests);
    }

    [Fact]
    public async Task With_loopback_allowed_for_the_test_a_fetched_image_is_hashed_matched_and_banked()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            UrlFetch = new UrlFetchOptions { Enabled = true, AllowedHosts = ["127.0.0.1"], AllowLoopbackForTesting = true },
        });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Integration)).Key);
        var url = Uri.EscapeDataString(media.Url("/flowers.png"));

        var uploaded = await RunningServer.JsonAsync(await client.PostAsync("/h/hash", HmaCoopParityTests.Photo(Flowers)));
        var fetched = await RunningServer.JsonAsync(await client.GetAsync("/h/hash?url=" + url));
        Assert.Equal(uploaded["pdq"]!.GetValue<string>(), fetched["pdq"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(Flowers)), fetched["md5"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/c/banks", new { name = "URL_BANK" })).StatusCode);
        var banked = await client.PostAsync("/c/bank/URL_BANK/content?url=" + url + "&content_id=item-7", null);
        Assert.Equal(HttpStatusCode.OK, banked.StatusCode);
        var id = (await RunningServer.JsonAsync(banked))["id"]!.GetValue<int>();

        var lookup = await RunningServer.JsonAsync(await client.GetAsync("/m/lookup?url=" + url));
        Assert.Equal(id, lookup["pdq"]!["URL_BANK"]![0]!["bank_content_id"]!.GetValue<int>());
        Assert.Equal(id, lookup["md5"]!["URL_BANK"]![0]!["bank_content_id"]!.GetValue<int>());

        // Naming the signal type elides the outer object, as HMA does.
        var elided = await RunningServer.JsonAsync(await client.GetAsync("/m/lookup?content_type=photo&signal_type=pdq&url=" + url));
        Assert.Equal("0", elided["URL_BANK"]![0]!["distance"]!.GetValue<string>());
        Assert.Equal(4, media.Requests);
    }

    [Fact]
    public async Task A_redirect_is_checked_again_host_address_and_count()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            UrlFetch = new UrlFetchOptions { Enabled = true, AllowedHosts = ["127.0.0.1", "10.255.255.1"], AllowLoopbackForTesting = true, MaxRedirects = 2 },
        });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        // An allowed redirect works.
        var ok = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(media.RedirectTo(media.Url("/flowers.png"))));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);

        // To a host off the list ("localhost" is the same server, by a name that is not allowed).
        var offList = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(media.RedirectTo(media.LocalhostUrl("/flowers.png"))));
        Assert.Equal(HttpStatusCode.BadRequest, offList.StatusCode);
        Assert.Contains("a redirect names host 'localhost'", await offList.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // To an allowed name whose address is private: refused in the connect callback, before any packet is sent.
        var internalAddress = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(media.RedirectTo("http://10.255.255.1/latest/meta-data")));
        Assert.Equal(HttpStatusCode.BadRequest, internalAddress.StatusCode);
        Assert.Contains("10.255.255.1, which is not a public address", await internalAddress.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Too many hops.
        var chain = media.RedirectTo(media.RedirectTo(media.RedirectTo(media.Url("/flowers.png"))));
        var tooMany = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(chain));
        Assert.Equal(HttpStatusCode.BadRequest, tooMany.StatusCode);
        Assert.Contains("more than 2 redirects", await tooMany.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_over_the_limit_or_not_media_is_refused()
    {
        await using var media = await LocalMediaHost.StartAsync(Flowers);
        await using var server = await RunningServer.StartAsync(o => o with
        {
            Workers = 0,
            UrlFetch = new UrlFetchOptions { Enabled = true, AllowedHosts = ["127.0.0.1"], AllowLoopbackForTesting = true, MaxBytes = Flowers.Length - 1 },
        });
        var client = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        // Declared too large (Content-Length), and streamed past the limit without a length.
        foreach (var path in new[] { "/flowers.png", "/endless-png" })
        {
            var response = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(media.Url(path)));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("Content too large", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var page = await client.GetAsync("/h/hash?url=" + Uri.EscapeDataString(media.Url("/page.html")));
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        Assert.Contains("unsupported url ContentType: 'text/html'", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
