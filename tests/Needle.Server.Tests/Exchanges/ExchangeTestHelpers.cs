using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Needle.Application.Exchanges;
using Needle.Testing.Server;

namespace Needle.Server.Tests.Exchanges;

/// <summary>What the exchange tests share: a server set up for them, creating exchanges, fetching and waiting.</summary>
internal static class ExchangeTestHelpers
{
    public const string Md5A = "e32684b27b95e909348334896a68f812";
    public const string Md5B = "d810a485ed03241b4d419b1b673bd475";
    public const string Md5C = "5d05ad7853c1f76eb97706ca828bca03";
    public const string Sha1A = "85813dbad3c681d06bd2aa399dac946dc59c0996";
    public const string Pdq1 = "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e";
    public const string Pdq2 = "c87a171ac826a6fce48478dcb74f21345d2cce8038a39d5e0853964b50af03b9";
    public const string Pdq3 = "71722f244f58d669cbee3772a077021721a278f64f7fd633dbdde131ca3766e4";

    /// <summary>A server whose retries wait little (Retry-After is still honoured) and whose schedule never fires on its own.</summary>
    public static Task<RunningServer> StartServerAsync() =>
        RunningServer.StartAsync(options => options with
        {
            Exchanges = new ExchangeOptions { RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3, PageSize = 2 },
            ExchangePollInterval = TimeSpan.FromHours(1),
        });

    public static async Task CreateListAsync(RunningServer server, string name)
    {
        var response = await server.Client(server.AdminKey).PostAsJsonAsync("/api/v1/lists", new { name, kind = "known" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    public static async Task<JsonNode> CreateExchangeAsync(RunningServer server, object request)
    {
        var response = await server.Client(server.AdminKey).PostAsJsonAsync("/api/v1/exchanges", request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        return JsonNode.Parse(text)!;
    }

    public static async Task<JsonNode> StatusAsync(RunningServer server, string name)
    {
        var response = await server.Client(server.AdminKey).GetAsync($"/api/v1/exchanges/{name}/status");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
    }

    /// <summary>Asks for a fetch through the API and waits until a fetch started after the ask has ended; returns its status.</summary>
    public static async Task<JsonNode> FetchAsync(RunningServer server, string name, bool full = false)
    {
        var before = (await StatusAsync(server, name))["lastFetch"]?.GetValue<DateTimeOffset>();
        var response = await server.Client(server.AdminKey).PostAsync($"/api/v1/exchanges/{name}/fetch{(full ? "?full=true" : "")}", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var status = await StatusAsync(server, name);
            var last = status["lastFetch"]?.GetValue<DateTimeOffset>();
            if (last is not null && last != before && !status["running"]!.GetValue<bool>())
            {
                return status;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), deadline.Token);
        }
    }

    /// <summary>The list's entries as (signal, value, enabled, label).</summary>
    public static async Task<List<(string Signal, string Value, bool Enabled, string? Label, string? Category)>> EntriesAsync(RunningServer server, string list)
    {
        var response = await server.Client(server.AdminKey).GetAsync($"/api/v1/lists/{list}/entries");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var entries = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsArray();
        return [.. entries.Select(static e => (
            e!["signalType"]!.GetValue<string>(),
            e["value"]!.GetValue<string>(),
            e["enabled"]!.GetValue<bool>(),
            e["label"]?.GetValue<string>(),
            e["category"]?.GetValue<string>())).OrderBy(static e => e.Item2, StringComparer.Ordinal)];
    }

    /// <summary>The server's SQLite file and its write-ahead log as text (to show a secret is not stored in plain).</summary>
    public static string DatabaseText(RunningServer server)
    {
        var text = new System.Text.StringBuilder();
        foreach (var path in new[] { server.DatabasePath, server.DatabasePath + "-wal" })
        {
            if (File.Exists(path))
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, System.Text.Encoding.Latin1);
                text.Append(reader.ReadToEnd());
            }
        }

        return text.ToString();
    }

    /// <summary>Everything the admin can read about exchanges and the audit log, as text (to look for a secret in).</summary>
    public static async Task<string> EverythingReadableAsync(RunningServer server, string exchange)
    {
        var admin = server.Client(server.AdminKey);
        var (_, auditorKey) = await server.CreateKeyAsync(Needle.Core.Access.ApiRole.Auditor, "auditor-" + Guid.NewGuid().ToString("N"));
        var auditor = server.Client(auditorKey);
        var texts = new List<string>
        {
            await admin.GetStringAsync("/api/v1/exchanges"),
            await admin.GetStringAsync($"/api/v1/exchanges/{exchange}"),
            await admin.GetStringAsync($"/api/v1/exchanges/{exchange}/status"),
            await auditor.GetStringAsync("/api/v1/audit?limit=1000"),
        };
        return string.Join('\n', texts);
    }
}
