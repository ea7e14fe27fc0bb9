using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Needle.Core.Access;

namespace Needle.Server.Tests;

/// <summary>A real Needle server on loopback (Kestrel, port 0) over a temporary SQLite file; removed on dispose.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private readonly List<HttpClient> _clients = [];

    private RunningServer(WebApplication app, string folder, Uri baseAddress, string adminKey, NeedleServerOptions options)
    {
        App = app;
        Folder = folder;
        BaseAddress = baseAddress;
        AdminKey = adminKey;
        Options = options;
    }

    public WebApplication App { get; }

    public string Folder { get; }

    public Uri BaseAddress { get; }

    /// <summary>The key printed at first start.</summary>
    public string AdminKey { get; }

    public NeedleServerOptions Options { get; }

    public static async Task<RunningServer> StartAsync(Func<NeedleServerOptions, NeedleServerOptions>? configure = null)
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-server-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var notices = new StringWriter();
        var options = new NeedleServerOptions
        {
            DatabasePath = Path.Combine(folder, "needle.db"),
            Urls = ["http://127.0.0.1:0"],
            MediaKeyEnvironmentVariable = null,
            Notices = notices,
            Warnings = new StringWriter(),
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            WorkerIdleDelay = TimeSpan.FromMilliseconds(50),
            MaxFileBytes = 2 * 1024 * 1024,
            MaxReportBytes = 5 * 1024 * 1024,
        };
        options = configure?.Invoke(options) ?? options;
        var app = await NeedleServer.BuildAsync(options);
        await app.StartAsync();

        // The real port comes back through IServerAddressesFeature.
        var address = NeedleServer.Addresses(app).Single();
        var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
        return new RunningServer(app, folder, new Uri(address), adminKey, options);
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        _clients.Add(client);
        return client;
    }

    /// <summary>Creates a key through the API with the admin key; returns (id, key text).</summary>
    public async Task<(Guid Id, string Key)> CreateKeyAsync(ApiRole role, string? name = null)
    {
        var response = await Client(AdminKey).PostAsJsonAsync("/api/v1/keys", new { name = name ?? role.ToString(), role = role.ToString().ToLowerInvariant() });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return (Guid.Parse(body["id"]!.GetValue<string>()), body["key"]!.GetValue<string>());
    }

    public static async Task<JsonNode> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new JsonException("null body");

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            client.Dispose();
        }

        await App.StopAsync();
        await App.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
