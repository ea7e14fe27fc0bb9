using System.Diagnostics;

namespace Needle.Cli.Tests;

/// <summary>Runs <c>needle</c> in-process with captured stdout/stderr, or as a real child process.</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Error)
    {
        public string[] OutLines => Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();

        public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
    }

    public static Task<Result> RunWithInputAsync(string workingDirectory, string stdin, params string[] args) =>
        RunWithInputAsync(workingDirectory, stdin, null, args);

    /// <summary>Runs in-process; <paramref name="robustModelMade"/> sees every robust model the command makes.</summary>
    public static async Task<Result> RunWithInputAsync(string workingDirectory, string stdin, Action<Needle.Robust.ImageDescriptorModel>? robustModelMade, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Out = output,
            Error = error,
            In = new StringReader(stdin),
            WorkingDirectory = workingDirectory,
            ErrorIsTerminal = false,
            RobustModelMade = robustModelMade,
        };
        var code = await NeedleApp.RunAsync(args, context);
        return new Result(code, output.ToString(), error.ToString());
    }

    public static Task<Result> RunAsync(string workingDirectory, params string[] args) => RunWithInputAsync(workingDirectory, "", args);

    /// <summary>Runs the built executable (needle.dll beside the tests) as a separate process.</summary>
    public static Task<Result> RunProcessAsync(string workingDirectory, string stdin, params string[] args) =>
        RunProcessAsync(workingDirectory, stdin, new Dictionary<string, string>(), args);

    /// <summary>Runs the built executable as a separate process with <paramref name="environment"/> added to its environment.</summary>
    public static async Task<Result> RunProcessAsync(string workingDirectory, string stdin, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "needle.dll");
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }
}
