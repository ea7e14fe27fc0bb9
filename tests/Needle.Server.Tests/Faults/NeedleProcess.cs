using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Needle.Server.Tests.Faults;

/// <summary>
/// A real <c>needle serve</c> child process (<c>dotnet needle.dll serve</c>) on a loopback port, with its stdout and
/// stderr captured. <see cref="Kill"/> sends SIGKILL (no shutdown code runs); <see cref="StopAsync"/> sends SIGTERM.
/// </summary>
internal sealed class NeedleProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private NeedleProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The needle.dll built beside the tests (the test project references Needle.Cli for it).</summary>
    public static string DllPath => Path.Combine(AppContext.BaseDirectory, "needle.dll");

    public string Output
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string Errors
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The admin key printed on stdout at the first start of an empty database, if this process printed one.</summary>
    public string? AdminKey => Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("ndl_", StringComparison.Ordinal));

    /// <summary>A port nobody listens on now: bind port 0, read it back, let it go.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Starts the server on <paramref name="databasePath"/> and returns once <c>/readyz</c> answers 200.</summary>
    public static Task<NeedleProcess> StartAsync(string databasePath, int workers, TimeSpan timeout)
    {
        var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}");

        // The media key comes from the key file beside the database, so it must survive the restarts too.
        return StartAsync(
            ["serve", "--db", databasePath, "--urls", baseAddress.ToString().TrimEnd('/'), "--workers", workers.ToString(System.Globalization.CultureInfo.InvariantCulture)],
            Path.GetDirectoryName(databasePath)!,
            new Dictionary<string, string?> { ["NEEDLE_MEDIA_KEY"] = null },
            baseAddress,
            timeout);
    }

    /// <summary>
    /// Starts <c>needle</c> with <paramref name="arguments"/> and returns once <c>/readyz</c> at <paramref name="probe"/>
    /// answers 200 (a server's address, or a worker's --health-url). A null value in <paramref name="environment"/>
    /// removes that variable.
    /// </summary>
    public static async Task<NeedleProcess> StartAsync(
        IReadOnlyList<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string?> environment, Uri probe, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(DllPath);
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = start };
        var server = new NeedleProcess(process, probe);
        process.OutputDataReceived += (_, e) => Append(server._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(server._stderr, e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException("dotnet did not start");
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await server.WaitReadyAsync(timeout);
            return server;
        }
        catch
        {
            server.Kill();
            server.Dispose();
            throw;
        }
    }

    /// <summary>SIGKILL: the process dies at once, mid-request and mid-job, with no shutdown code run.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.WaitForExit();
    }

    /// <summary>SIGTERM: the graceful shutdown (Kestrel drains, workers stop, the store checkpoints); returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"needle serve did not stop within {timeout.TotalSeconds:F0} s of SIGTERM.\n{Tail(Errors)}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    /// <summary>The last lines of a log, for failure messages.</summary>
    public static string Tail(string text, int lines = 40) => string.Join('\n', text.Split('\n').TakeLast(lines));

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            // Bounded: the server logs every request at Information.
            if (buffer.Length > 2_000_000)
            {
                buffer.Remove(0, 1_000_000);
            }

            buffer.Append(line).Append('\n');
        }
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var probe = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"needle serve exited with code {_process.ExitCode} before it was ready.\n{Tail(Errors)}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri("/readyz", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // A probe timed out on a busy machine; try again.
            }

            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"needle serve was not ready within {timeout.TotalSeconds:F0} s.\n{Tail(Errors)}");
            }

            await Task.Delay(25);
        }
    }
}
