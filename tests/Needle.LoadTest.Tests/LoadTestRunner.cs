using System.Diagnostics;

namespace Needle.LoadTest.Tests;

/// <summary>Runs the load tool in-process with captured stdout/stderr, or as a real child process.</summary>
internal static class LoadTestRunner
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LoadTestApp.RunAsync(args, new LoadTestContext { Out = output, Error = error });
        return new Result(code, output.ToString(), error.ToString());
    }

    /// <summary>Runs the built tool (Needle.LoadTest.dll beside the tests) as a separate process, with extra environment.</summary>
    public static async Task<Result> RunProcessAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Needle.LoadTest.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The whitespace-separated fields of a table row.</summary>
    public static string[] Fields(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    public static double Number(string field) =>
        double.Parse(field.TrimEnd('x', '%').Replace("ms", "", StringComparison.Ordinal), System.Globalization.CultureInfo.InvariantCulture);
}
