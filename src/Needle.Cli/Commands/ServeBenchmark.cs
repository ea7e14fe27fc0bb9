using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Server;
using SkiaSharp;

namespace Needle.Cli.Commands;

/// <summary>What <c>needle bench serve</c> runs.</summary>
internal sealed record ServeBenchmarkOptions
{
    public int Reports { get; init; } = 500;

    public int FilesPerReport { get; init; } = 2;

    public int Concurrency { get; init; } = 8;

    public int Workers { get; init; } = 2;

    /// <summary>Random PDQ entries imported into a list before the run (0: no list).</summary>
    public int ListEntries { get; init; } = 10_000;

    public int Seed { get; init; } = 1;

    /// <summary>Longest wait for the queue to drain.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(15);
}

/// <summary>One run: the server with a number of workers, the same reports.</summary>
internal sealed record ServeRunResult(
    int Workers,
    int Reports,
    int Files,
    TimeSpan AcceptWall,
    TimeSpan ProcessWall,
    IReadOnlyList<double> AckMs,
    IReadOnlyList<double> DoneMs,
    int FilesNotHashed)
{
    public double ReportsAcceptedPerSecond => Reports / AcceptWall.TotalSeconds;

    public double FilesAcceptedPerSecond => Files / AcceptWall.TotalSeconds;

    public double FilesProcessedPerSecond => Files / ProcessWall.TotalSeconds;
}

/// <summary>
/// Load on a real in-process server (Kestrel on loopback, a temporary SQLite file with synchronous=FULL, the report
/// workers): C clients post N multipart reports of K generated JPEGs; measured are the accept rate (POST to 202, i.e.
/// durable), the processing rate (first POST until the job queue is empty) and, per report, the time from the client
/// sending the POST to the server's <c>processed_at</c> (both read from this machine's clock).
/// </summary>
internal static class ServeBenchmark
{
    /// <summary>
    /// Distinct benign JPEGs, 50-200 KB: random shapes on a gradient with a little noise (so every PDQ hash differs
    /// and the file does not compress away), generated on all cores, the same for the same seed.
    /// </summary>
    public static byte[][] GenerateImages(int count, int seed)
    {
        var images = new byte[count][];
        Parallel.For(0, count, i => images[i] = GenerateImage(seed, i));
        return images;
    }

    internal static byte[] GenerateImage(int seed, int index)
    {
        var rng = new Random(unchecked((seed * 1_000_003) + index)); // not HashCode.Combine: randomised per process
        const int Width = 640, Height = 480;
        using var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            using var background = new SKPaint();
            background.Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(Width, Height),
                [RandomColor(rng), RandomColor(rng)], SKShaderTileMode.Clamp);
            canvas.DrawRect(0, 0, Width, Height, background);
            using var paint = new SKPaint { IsAntialias = true };
            for (var s = 0; s < 30; s++)
            {
                paint.Color = RandomColor(rng);
                var x = rng.Next(Width);
                var y = rng.Next(Height);
                var w = rng.Next(20, 240);
                var h = rng.Next(20, 240);
                if (rng.Next(2) == 0)
                {
                    canvas.DrawRect(x, y, w, h, paint);
                }
                else
                {
                    canvas.DrawOval(x, y, w / 2f, h / 2f, paint);
                }
            }
        }

        // Noise of a random amplitude: distinct bytes, and JPEGs of about 55-200 KB at quality 90.
        var pixels = bitmap.GetPixelSpan().ToArray();
        var noise = new byte[pixels.Length];
        rng.NextBytes(noise);
        var amplitude = rng.Next(16, 96);
        for (var i = 0; i < pixels.Length; i++)
        {
            if ((i & 3) != 3)
            {
                pixels[i] = (byte)Math.Clamp(pixels[i] + (noise[i] % amplitude) - (amplitude / 2), 0, 255);
            }
        }

        System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }

    private static SKColor RandomColor(Random rng) => new((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256));

    public static async Task<ServeRunResult> RunAsync(ServeBenchmarkOptions options, int workers, byte[][] images, Action<string> progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(progress);
        var folder = Path.Combine(Path.GetTempPath(), "needle-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var notices = new StringWriter(CultureInfo.InvariantCulture);
            var serverOptions = new NeedleServerOptions
            {
                DatabasePath = Path.Combine(folder, "needle.db"),
                Urls = ["http://127.0.0.1:0"],
                MediaKeyEnvironmentVariable = null,
                Notices = notices,
                Warnings = new StringWriter(CultureInfo.InvariantCulture),
                MinimumLogLevel = LogLevel.Warning,
                Workers = workers,
            };
            var app = await NeedleServer.BuildAsync(serverOptions, cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    return await MeasureAsync(app, notices.ToString(), options, workers, images, progress, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Left for the temp cleaner.
            }
        }
    }

    private static async Task<ServeRunResult> MeasureAsync(WebApplication app, string notices, ServeBenchmarkOptions options, int workers, byte[][] images,
        Action<string> progress, CancellationToken cancellationToken)
    {
        var baseAddress = new Uri(NeedleServer.Addresses(app).Single());
        if (!IPAddress.IsLoopback(IPAddress.Parse(baseAddress.Host)))
        {
            throw new InvalidOperationException($"the benchmark server listens on {baseAddress}, not loopback");
        }

        var adminKey = notices.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("ndl_", StringComparison.Ordinal));
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };
        var submitterKey = await CreateKeyAsync(http, adminKey, "submitter", cancellationToken).ConfigureAwait(false);
        if (options.ListEntries > 0)
        {
            await ImportListAsync(http, adminKey, options.ListEntries, options.Seed, cancellationToken).ConfigureAwait(false);
        }

        var store = app.Services.GetRequiredService<INeedleStore>();
        var reports = options.Reports;
        var k = options.FilesPerReport;
        var sentAt = new DateTimeOffset[reports];
        var ids = new Guid[reports];
        var ackMs = new double[reports];
        var next = -1;
        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, options.Concurrency).Select(_ => Task.Run(
            async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < reports)
                {
                    using var request = BuildReport(i, workers, images, k, submitterKey);
                    var started = Stopwatch.GetTimestamp();
                    sentAt[i] = DateTimeOffset.UtcNow;
                    using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
                    if (response.StatusCode != HttpStatusCode.Accepted)
                    {
                        throw new InvalidOperationException($"report {i} got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
                    }

                    ackMs[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                    var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
                    ids[i] = Guid.Parse(body["id"]!.GetValue<string>());
                }
            },
            cancellationToken)).ToArray();
        await Task.WhenAll(clients).ConfigureAwait(false);
        var acceptWall = clock.Elapsed;
        progress(FormattableString.Invariant($"workers {workers}: {reports} reports accepted in {acceptWall.TotalSeconds:F1} s; waiting for the queue to drain"));

        // Until every job is done: polled on the store (a cheap COUNT) every 20 ms.
        while (await store.Jobs.CountOpenAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            if (clock.Elapsed > options.Timeout)
            {
                throw new TimeoutException($"the queue did not drain within {options.Timeout.TotalMinutes:F0} minutes");
            }

            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }

        var processWall = clock.Elapsed;

        // POST to processed: the server's processed_at minus the client's send time (one clock, this machine).
        var doneMs = new double[reports];
        var notHashed = 0;
        for (var i = 0; i < reports; i++)
        {
            var report = await store.Reports.GetAsync(ids[i], cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"report {ids[i]} was acknowledged but is not stored");
            if (report.ProcessedAt is not { } processedAt)
            {
                throw new InvalidOperationException($"report {ids[i]} is {report.Status} after the queue drained (its job failed)");
            }

            doneMs[i] = (processedAt - sentAt[i]).TotalMilliseconds;
            notHashed += report.Files.Count(f => f.State != FileState.Hashed);
        }

        return new ServeRunResult(workers, reports, reports * k, acceptWall, processWall, ackMs, doneMs, notHashed);
    }

    internal static HttpRequestMessage BuildReport(int index, int run, byte[][] images, int filesPerReport, string submitterKey)
    {
        var files = Enumerable.Range(0, filesPerReport).Select(f => new { part = $"f{f}", originalName = $"bench-{index}-{f}.jpg" }).ToArray();
        var json = JsonSerializer.Serialize(new { externalId = $"bench-{index}", description = "needle bench serve (generated benign images)", files });
        var form = new MultipartFormDataContent { { new StringContent(json, Encoding.UTF8, "application/json"), "report" } };
        for (var f = 0; f < filesPerReport; f++)
        {
            var part = new ByteArrayContent(images[(index * filesPerReport) + f]);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            form.Add(part, $"f{f}", $"bench-{index}-{f}.jpg");
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/reports") { Content = form };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", submitterKey);
        request.Headers.Add("Idempotency-Key", string.Create(CultureInfo.InvariantCulture, $"bench-{run}-{index}"));
        return request;
    }

    internal static async Task<string> CreateKeyAsync(HttpClient http, string adminKey, string role, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/keys") { Content = JsonContent.Create(new { name = "bench-" + role, role }) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"creating a {role} key got {(int)response.StatusCode}: {text}");
        }

        return JsonNode.Parse(text)!["key"]!.GetValue<string>();
    }

    /// <summary>A list of random PDQ hashes (the generated images match none of them: the lookup cost is what counts).</summary>
    internal static async Task ImportListAsync(HttpClient http, string adminKey, int entries, int seed, CancellationToken cancellationToken)
    {
        var rng = new Random(seed);
        var csv = new StringBuilder(entries * 80);
        var hash = new byte[32];
        for (var i = 0; i < entries; i++)
        {
            rng.NextBytes(hash);
            csv.Append(Convert.ToHexStringLower(hash)).Append(CultureInfo.InvariantCulture, $",100,bench/entry-{i}\n");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/lists/bench/import?format=csv")
        {
            Content = new StringContent(csv.ToString(), Encoding.UTF8, "text/csv"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", adminKey);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"importing the list got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        }
    }

    /// <summary>Nearest-rank percentile of unsorted values.</summary>
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}
