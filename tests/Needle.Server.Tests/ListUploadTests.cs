using System.IO.Compression;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Needle.Storage.Postgres;
using Needle.Testing.Postgres;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// List imports whose body arrives over time (the import reads the spooled body as it grows), breaks off, or comes
/// gzip-compressed (spooled compressed, decompressed while parsed, the size cap applying to the decompressed bytes).
/// </summary>
public sealed class ListUploadTests
{
    internal static byte[] NativeList(int entries, int seed = 1)
    {
        var text = new StringBuilder("{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"upload\",\"kind\":\"known\"}\n");
        for (var i = 1; i <= entries; i++)
        {
            var md5 = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{seed}-{i}")));
            text.Append("{\"id\":").Append(i).Append(",\"signalType\":\"md5\",\"value\":\"").Append(md5).Append("\",\"label\":\"L-").Append(i).Append("\"}\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }

        return buffer.ToArray();
    }

    private static async Task<string[]> ValuesAsync(HttpClient admin, string list) =>
        [.. (await RunningServer.JsonAsync(await admin.GetAsync($"/api/v1/lists/{list}/entries"))).AsArray().Select(e => e!["value"]!.GetValue<string>())];

    /// <summary>The one import recorded in the SQLite file (waits for the import to record itself).</summary>
    private static async Task<Guid> OnlyImportAsync(string database)
    {
        while (true)
        {
            await using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString()))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT id FROM list_imports;";
                if (await command.ExecuteScalarAsync() is string id)
                {
                    return Guid.Parse(id);
                }
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Polls the import's job until <paramref name="done"/> holds of it (the test's timeout bounds it).</summary>
    internal static async Task<JsonNode> JobAsync(HttpClient admin, string list, Guid id, Func<JsonNode, bool> done)
    {
        while (true)
        {
            var job = await RunningServer.JsonAsync(await admin.GetAsync($"/api/v1/lists/{list}/imports/{id}"));
            if (done(job))
            {
                return job;
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_body_arriving_in_parts_is_imported_whole_and_its_job_shows_progress_before_the_upload_ends()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var list = NativeList(20_000);
        var half = list.Length / 2;
        using var content = new GatedContent(list, half);
        var send = admin.PostAsync("/api/v1/lists/slow/import?format=needle", content);

        // The first half is sent and the rest held back: the import already parsed part of it.
        await content.FirstPartSent.WaitAsync(TimeSpan.FromSeconds(60));
        var id = await OnlyImportAsync(server.DatabasePath);
        var running = await JobAsync(admin, "slow", id, j => j["recordsRead"]!.GetValue<int>() >= 4096);
        Assert.Equal("Running", running["state"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        Assert.False(send.IsCompleted);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/slow")).StatusCode);

        content.SendTheRest();
        var response = await send;
        var body = await RunningServer.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(20_000, body["imported"]!.GetValue<int>());
        Assert.Equal(20_000, (await ValuesAsync(admin, "slow")).Length);
    }

    [Fact]
    public async Task A_client_that_aborts_mid_body_leaves_the_list_unchanged_and_its_job_failed_with_the_reason()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/lists/kept/import?format=needle", new ByteArrayContent(NativeList(10, seed: 9)))).StatusCode);
        var before = await ValuesAsync(admin, "kept");

        var list = NativeList(20_000);
        using var content = new GatedContent(list, list.Length / 2);
        using var abort = new CancellationTokenSource();
        var send = admin.PostAsync("/api/v1/lists/kept/import?format=needle", content, abort.Token);
        await content.FirstPartSent.WaitAsync(TimeSpan.FromSeconds(60));
        Guid id;
        while (true)
        {
            // The second import recorded (the first one already succeeded).
            id = await OnlyRunningImportAsync(server.DatabasePath);
            if (id != Guid.Empty)
            {
                break;
            }

            await Task.Delay(20);
        }

        await JobAsync(admin, "kept", id, j => j["recordsRead"]!.GetValue<int>() >= 4096);
        await abort.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => send);

        var failed = await JobAsync(admin, "kept", id, j => !string.Equals(j["state"]!.GetValue<string>(), "running", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Failed", failed["state"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        Assert.Contains("broke off", failed["errors"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, failed["imported"]!.GetValue<int>());
        Assert.Equal(before, await ValuesAsync(admin, "kept"));
    }

    private static async Task<Guid> OnlyRunningImportAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT id FROM list_imports WHERE state = 'Running';";
        return await command.ExecuteScalarAsync() is string id ? Guid.Parse(id) : Guid.Empty;
    }

    [Fact]
    public async Task A_gzip_body_with_the_header_or_only_the_magic_bytes_imports_the_same_entries_as_plain()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var list = NativeList(500);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/lists/plain/import?format=needle", new ByteArrayContent(list))).StatusCode);

        var withHeader = new ByteArrayContent(Gzip(list));
        withHeader.Headers.ContentEncoding.Add("gzip");
        var response = await admin.PostAsync("/api/v1/lists/header/import?format=needle", withHeader);
        Assert.True(response.StatusCode == HttpStatusCode.OK, (await RunningServer.JsonAsync(response)).ToJsonString());

        // A .jsonl.gz file sent as is, the format detected from the decompressed bytes.
        response = await admin.PostAsync("/api/v1/lists/magic/import", new ByteArrayContent(Gzip(list)));
        var body = await RunningServer.JsonAsync(response);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal(500, body["imported"]!.GetValue<int>());

        var plain = await ValuesAsync(admin, "plain");
        Assert.Equal(500, plain.Length);
        Assert.Equal(plain, await ValuesAsync(admin, "header"));
        Assert.Equal(plain, await ValuesAsync(admin, "magic"));
    }

    [Fact]
    public async Task A_gzip_bomb_over_the_size_cap_is_refused_naming_the_limit_and_nothing_is_kept()
    {
        const long cap = 1024 * 1024;
        await using var server = await RunningServer.StartAsync(o => o with { MaxListImportBytes = cap });
        var admin = server.Client(server.AdminKey);

        // 50,000 identical entries: ~5 MB decompressed, a few kB compressed (under the cap as sent).
        var entry = "{\"signalType\":\"md5\",\"value\":\"" + new string('a', 32) + "\"}\n";
        var bomb = Gzip(Encoding.UTF8.GetBytes("{\"format\":\"needle-hashlist\",\"version\":1}\n" + string.Concat(Enumerable.Repeat(entry, 50_000))));
        Assert.True(bomb.Length < cap);
        var response = await admin.PostAsync("/api/v1/lists/bomb/import?format=needle", new ByteArrayContent(bomb));
        var body = await RunningServer.JsonAsync(response);
        Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.RequestEntityTooLarge, body.ToJsonString());
        Assert.Contains($"larger than {cap} bytes once decompressed", body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/bomb")).StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_size_cap_is_refused_with_413_and_nothing_is_kept()
    {
        const long cap = 256 * 1024;
        await using var server = await RunningServer.StartAsync(o => o with { MaxListImportBytes = cap });
        var admin = server.Client(server.AdminKey);

        // Chunked (no length to refuse up front): the import has started on the first part when the cap is crossed.
        var list = NativeList(20_000);
        using var content = new GatedContent(list, (int)cap / 2);
        var send = admin.PostAsync("/api/v1/lists/big/import?format=needle", content);
        await content.FirstPartSent.WaitAsync(TimeSpan.FromSeconds(60));
        var id = await OnlyImportAsync(server.DatabasePath);
        content.SendTheRest();
        var response = await send;
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        var failed = await JobAsync(admin, "big", id, j => !string.Equals(j["state"]!.GetValue<string>(), "running", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("Failed", failed["state"]!.GetValue<string>(), StringComparer.OrdinalIgnoreCase);
        Assert.Equal(0, failed["imported"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/big")).StatusCode);
    }

    [Fact]
    public async Task A_corrupt_gzip_body_is_refused_with_a_clear_error()
    {
        await using var server = await RunningServer.StartAsync();
        var admin = server.Client(server.AdminKey);
        var corrupt = Gzip(NativeList(200));

        // After the 10-byte gzip header, a deflate block of the reserved type: no inflater accepts it.
        corrupt.AsSpan(10).Fill(0xff);
        var response = await admin.PostAsync("/api/v1/lists/corrupt/import?format=needle", new ByteArrayContent(corrupt));
        var body = await RunningServer.JsonAsync(response);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("gzip data is corrupt", body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/corrupt")).StatusCode);
    }
}

/// <summary>The PostgreSQL side: an import whose body arrives in parts commits everything once it arrived.</summary>
[Collection(PostgresCollection.Name)]
public sealed class ListUploadPostgresTests(PostgresServer postgres)
{
    [Fact]
    public async Task On_PostgreSQL_a_body_arriving_in_parts_is_imported_whole()
    {
        var connectionString = postgres.CreateDatabase();
        try
        {
            await using var server = await RunningServer.StartAsync((o, db) =>
            {
                // Nodes on PostgreSQL share a media key: this one gets its own, beside the (unused) SQLite path.
                var key = Path.Combine(Path.GetDirectoryName(db)!, "media.key");
                File.WriteAllText(key, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                return o with { Store = services => services.AddPostgresStore(connectionString), MediaKeyPath = key };
            });
            var admin = server.Client(server.AdminKey);
            var list = ListUploadTests.NativeList(20_000, seed: 3);
            using var content = new GatedContent(list, list.Length / 3);
            var send = admin.PostAsync("/api/v1/lists/slow/import?format=needle", content);
            await content.FirstPartSent.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync("/api/v1/lists/slow")).StatusCode);
            content.SendTheRest();
            var response = await send;
            var body = await RunningServer.JsonAsync(response);
            Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
            Assert.Equal(20_000, body["imported"]!.GetValue<int>());
            Assert.Equal(20_000, (await RunningServer.JsonAsync(await admin.GetAsync("/api/v1/lists/slow")))["entries"]!.GetValue<int>());
        }
        finally
        {
            await postgres.DropDatabaseAsync(connectionString);
        }
    }
}

/// <summary>A request body sent in two parts (chunked, no length): the second only once the test says so.</summary>
internal sealed class GatedContent(byte[] bytes, int firstPart) : HttpContent
{
    private readonly TaskCompletionSource _firstPartSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _sendTheRest = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task FirstPartSent => _firstPartSent.Task;

    public void SendTheRest() => _sendTheRest.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await stream.WriteAsync(bytes.AsMemory(0, firstPart), cancellationToken);
        await stream.FlushAsync(cancellationToken);
        _firstPartSent.TrySetResult();
        await _sendTheRest.Task.WaitAsync(cancellationToken);
        await stream.WriteAsync(bytes.AsMemory(firstPart), cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
