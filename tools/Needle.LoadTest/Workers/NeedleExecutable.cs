using System.Diagnostics;

namespace Needle.LoadTest.Workers;

/// <summary>
/// The built <c>needle</c> the workers harness starts as <c>needle worker</c> processes. This project references
/// src/Needle.Cli for no other reason than that the build puts needle.dll and its apphost beside this tool (and beside
/// the tests of a project that references the tool), so it is always the <c>needle</c> of the same source tree.
/// </summary>
internal static class NeedleExecutable
{
    /// <summary>
    /// As the tool itself runs: under the dotnet host (tests, <c>dotnet Needle.LoadTest.dll</c>) that host with
    /// needle.dll, otherwise needle's apphost, or the dotnet host when no apphost was built.
    /// </summary>
    /// <exception cref="InvalidOperationException">needle.dll is not beside this tool.</exception>
    public static ProcessStartInfo StartInfo()
    {
        var folder = AppContext.BaseDirectory;
        var dll = Path.Combine(folder, "needle.dll");
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"the built needle is not beside this tool (no {dll}): build tools/Needle.LoadTest, which builds src/Needle.Cli into its output");
        }

        var self = Environment.ProcessPath;
        var apphost = Path.Combine(folder, OperatingSystem.IsWindows() ? "needle.exe" : "needle");
        if (!IsDotnetHost(self) && File.Exists(apphost))
        {
            return new ProcessStartInfo(apphost);
        }

        var start = new ProcessStartInfo(IsDotnetHost(self) ? self! : DotnetHost());
        start.ArgumentList.Add(dll);
        return start;
    }

    private static bool IsDotnetHost(string? path) =>
        path is not null && Path.GetFileNameWithoutExtension(path).Equals("dotnet", StringComparison.OrdinalIgnoreCase);

    /// <summary>The host the SDK names (<c>dotnet run</c> sets it), else the one on the PATH.</summary>
    private static string DotnetHost() =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";
}
