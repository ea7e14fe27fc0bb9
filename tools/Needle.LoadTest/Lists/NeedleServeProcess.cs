using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Needle.LoadTest.Workers;

namespace Needle.LoadTest.Lists;

/// <summary>
/// A <c>needle serve</c> of this source tree in its own process (API only, no rate limits) on a SQLite file, as an
/// operator runs it: its start is timed from the process start to the first <c>/readyz</c> 200, and its memory is the
/// kernel's resident set of that process, with none of the harness's own memory in it.
/// </summary>
internal sealed class NeedleServeProcess : IAsyncDisposable
{
    private readonly Process _process;

    private NeedleServeProcess(Process process, Uri address, TimeSpan ready)
    {
        _process = process;
        Address = address;
        Ready = ready;
    }

    public Uri Address { get; }

    /// <summary>From the process start until <c>/readyz</c> answered 200.</summary>
    public TimeSpan Ready { get; }

    /// <summary>CPU time (user + system) the server process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>
    /// Starts <c>needle serve --db DATABASE</c> and waits until it is ready (or has died); <paramref name="snapshots"/>
    /// is the list snapshot folder, or null for <c>--list-snapshots off</c>.
    /// </summary>
    public static async Task<NeedleServeProcess> StartAsync(string database, string? snapshots, CancellationToken cancellationToken)
    {
        var port = FreePort();
        var start = NeedleExecutable.StartInfo();
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetDirectoryName(Path.GetFullPath(database))!;
        foreach (var argument in new[]
        {
            "serve", "--db", database, "--urls", FormattableString.Invariant($"http://127.0.0.1:{port}"), "--workers", "0",
            "--rate-limit", "off", "--list-snapshots", snapshots ?? "off",
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("NEEDLE_MEDIA_KEY");
        var errors = new StringWriter(CultureInfo.InvariantCulture);
        var clock = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start needle serve");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (errors)
                {
                    errors.WriteLine(line);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var address = new Uri(FormattableString.Invariant($"http://127.0.0.1:{port}/"));
        using var probe = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            if (process.HasExited)
            {
                string text;
                lock (errors)
                {
                    text = errors.ToString();
                }

                var exitCode = process.ExitCode;
                process.Dispose();
                throw new InvalidOperationException($"needle serve exited with {exitCode} before it was ready: {text}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri("readyz", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return new NeedleServeProcess(process, address, clock.Elapsed);
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // Listening but busy starting.
            }

            await Task.Delay(TimeSpan.FromMilliseconds(25), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The process's resident set (VmRSS) and its peak (VmHWM), in bytes, as the kernel counts them.</summary>
    public (long Resident, long Peak) Memory()
    {
        long resident = 0;
        long peak = 0;
        foreach (var line in File.ReadLines(FormattableString.Invariant($"/proc/{_process.Id}/status")))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) * 1024;
            }
        }

        return (resident, peak);
    }

    /// <summary>Stops the server as an operator does (SIGTERM, a clean shutdown), killing it if it has not exited within a minute.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
                {
                    if (kill is not null)
                    {
                        await kill.WaitForExitAsync().ConfigureAwait(false);
                    }
                }

                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
                try
                {
                    await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync().ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static long Kilobytes(string statusLine) =>
        long.Parse(statusLine.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
