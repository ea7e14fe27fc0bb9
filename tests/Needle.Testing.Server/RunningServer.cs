using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Needle.Core.Access;
using Needle.Server;
using Needle.Storage.Sqlite;
using Xunit;

namespace Needle.Testing.Server;

/// <summary>A real Needle server on loopback (Kestrel, port 0) over a temporary SQLite file; removed on dispose.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private const string DatabaseFileName = "needle.db";

    private readonly List<HttpClient> _clients = [];

    private RunningServer(WebApplication app, string folder, Uri baseAddress, string adminKey, NeedleServerOptions options)
    {
        App = app;
        Folder = folder;
        BaseAddress = baseAddress;
        AdminKey = adminKey;
        Options = options;
    }

    /// <summary>The started application: its services, for tests that look past the API.</summary>
    public WebApplication App { get; }

    /// <summary>The temporary folder holding the database (and the media key); deleted on dispose.</summary>
    public string Folder { get; }

    /// <summary>The server's address, with the port Kestrel picked.</summary>
    public Uri BaseAddress { get; }

    /// <summary>The key printed at first start.</summary>
    public string AdminKey { get; }

    /// <summary>The SQLite database file the server runs on (in <see cref="Folder"/>).</summary>
    public string DatabasePath => Path.Combine(Folder, DatabaseFileName);

    /// <summary>The options the server was built with, after <c>configure</c>.</summary>
    public NeedleServerOptions Options { get; }

    /// <summary>
    /// Builds and starts a server on a new temporary database; <paramref name="configure"/> may change the test defaults
    /// (small size limits, a short worker idle delay, warnings only in the log).
    /// </summary>
    public static Task<RunningServer> StartAsync(Func<NeedleServerOptions, NeedleServerOptions>? configure = null) =>
        StartAsync(configure is null ? null : (options, _) => configure(options));

    /// <summary>
    /// As <see cref="StartAsync(Func{NeedleServerOptions, NeedleServerOptions}?)"/>, with the database file's path given
    /// to <paramref name="configure"/> (to put files beside it, or to prepare the file before the server opens it).
    /// </summary>
    public static async Task<RunningServer> StartAsync(Func<NeedleServerOptions, string, NeedleServerOptions>? configure)
    {
        var folder = Path.Combine(Path.GetTempPath(), "needle-server-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var notices = new StringWriter();
        var options = new NeedleServerOptions
        {
            Store = services => services.AddSqliteStore(Path.Combine(folder, DatabaseFileName)),
            Urls = ["http://127.0.0.1:0"],
            MediaTempDirectory = Path.Combine(folder, "media"),
            MediaKeyEnvironmentVariable = null,
            Notices = notices,
            Warnings = new StringWriter(),
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
            WorkerIdleDelay = TimeSpan.FromMilliseconds(50),
            MaxFileBytes = 2 * 1024 * 1024,
            MaxReportBytes = 5 * 1024 * 1024,

            // The robust tier (on in the product) loads a 60 MB ONNX model and describes every image: the suites that
            // test it turn it on (RobustTierTests); the many others start servers faster without it.
            Robust = false,
        };
        options = configure?.Invoke(options, Path.Combine(folder, DatabaseFileName)) ?? options;
        var app = await NeedleServer.BuildAsync(options);
        await app.StartAsync();

        // The real port comes back through IServerAddressesFeature.
        var address = NeedleServer.Addresses(app).Single();
        var adminKey = notices.ToString().Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
        return new RunningServer(app, folder, new Uri(address), adminKey, options);
    }

    /// <summary>A client of the server, sending <paramref name="key"/> as a bearer token if given; disposed with the server.</summary>
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

    /// <summary>The response's body as JSON; a null body fails.</summary>
    public static async Task<JsonNode> JsonAsync(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new JsonException("null body");

    /// <summary>Disposes the clients, stops the server and deletes its folder.</summary>
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
            // Left in the temp folder; harmless.
        }
    }
}
