using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Needle.Server.Tests;

/// <summary>
/// A real HTTP server on loopback standing in for the remote host a URL names (media on a CDN): serves one image, a
/// redirect to any URL, an oversized body without a length, and a text page. Counts the requests it answered, so a
/// test can tell a refusal before connecting from one after.
/// </summary>
internal sealed class LocalMediaHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requests;

    private LocalMediaHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int Requests => Volatile.Read(ref _requests);

    public static async Task<LocalMediaHost> StartAsync(byte[] image)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LocalMediaHost? host = null;
        app.Use(async (context, next) =>
        {
            Interlocked.Increment(ref host!._requests);
            await next(context);
        });
        app.MapGet("/flowers.png", () => Results.Bytes(image, "image/png"));
        app.MapGet("/page.html", () => Results.Text("<html>not media</html>", "text/html"));
        app.MapGet("/redirect", (string to) => Results.Redirect(to));
        app.MapGet("/endless-png", async (HttpContext context) =>
        {
            // No Content-Length: the fetcher must stop reading at its limit, not trust a header.
            context.Response.ContentType = "image/png";
            var chunk = new byte[64 * 1024];
            for (var i = 0; i < 1024 && !context.RequestAborted.IsCancellationRequested; i++)
            {
                await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        host = new LocalMediaHost(app, new Uri(address));
        return host;
    }

    public string Url(string pathAndQuery) => new Uri(BaseAddress, pathAndQuery).ToString();

    /// <summary>The same path on this host, named "localhost" instead of by address.</summary>
    public string LocalhostUrl(string pathAndQuery) => $"http://localhost:{BaseAddress.Port}{pathAndQuery}";

    public string RedirectTo(string target) => Url("/redirect?to=" + WebUtility.UrlEncode(target));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
