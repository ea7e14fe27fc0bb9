using Needle.Testing;

namespace Needle.Cli.Tests;

/// <summary>
/// Every usage mistake, in every command, exits 2 with the error and the command's usage on stderr, and nothing on
/// stdout: unknown options (never taken as paths), missing arguments, options and commands, bad option values.
/// </summary>
public sealed class UsageErrorTests
{
    public static TheoryData<string[], string, string> Mistakes() => new()
    {
        { [], "required command was not provided", "needle [command] [options]" },
        { ["--bogus"], "'--bogus'", "needle [command] [options]" },
        { ["frobnicate"], "'frobnicate'", "needle [command] [options]" },
        { ["hash", "--bogus", "photos/p04_flowers.png"], "unknown option '--bogus'", "needle hash [<PATH>...] [options]" },
        { ["hash", "-x"], "unknown option '-x'", "needle hash [<PATH>...] [options]" },
        { ["hash"], "no input files", "needle hash [<PATH>...] [options]" },
        { ["hash", "--format", "xml", "photos"], "'xml'", "needle hash [<PATH>...] [options]" },
        { ["hash", "--label-from", "inode", "photos"], "'inode'", "needle hash [<PATH>...] [options]" },
        { ["hash", "--threads", "0", "photos"], "--threads must be at least 1", "needle hash [<PATH>...] [options]" },
        { ["hash", "--threads"], "'--threads'", "needle hash [<PATH>...] [options]" },
        { ["scan", "photos"], "give at least one list with --against LIST", "needle scan [<PATH>...] [options]" },
        { ["scan", "--against"], "'--against'", "needle scan [<PATH>...] [options]" },
        { ["scan", "--against", "photos/expected.csv", "--bogus", "photos"], "unknown option '--bogus'", "needle scan [<PATH>...] [options]" },
        { ["scan", "--against", "photos/expected.csv", "--threshold", "300", "photos"], "--threshold must be between 0 and 256", "needle scan [<PATH>...] [options]" },
        { ["list"], "required command was not provided", "needle list [command] [options]" },
        { ["list", "convert"], "'--to' is required", "needle list convert <INPUT> [options]" },
        { ["list", "convert", "photos/expected.csv", "--to", "csv"], "'--out' is required", "needle list convert <INPUT> [options]" },
        { ["list", "convert", "photos/expected.csv", "--to", "nope", "-o", "-"], "unknown output format 'nope'", "needle list convert <INPUT> [options]" },
        { ["list", "stats"], "required argument missing", "needle list stats <LIST> [options]" },
        { ["list", "stats", "photos/expected.csv", "--bogus"], "'--bogus'", "needle list stats <LIST> [options]" },
        { ["list", "verify"], "required argument missing", "needle list verify <LIST> [options]" },
        { ["geo"], "required command was not provided", "needle geo [command] [options]" },
        { ["geo", "lookup"], "required argument missing", "needle geo lookup <QUERY>... [options]" },
        { ["geo", "lookup", "--format", "xml", "1,1"], "'xml'", "needle geo lookup <QUERY>... [options]" },
        { ["keys"], "required command was not provided", "needle keys [command] [options]" },
        { ["keys", "create"], "'--role' is required", "needle keys create [options]" },
        { ["keys", "list", "--bogus"], "'--bogus'", "needle keys list [options]" },
        { ["audit"], "required command was not provided", "needle audit [command] [options]" },
        { ["audit", "verify", "--bogus"], "'--bogus'", "needle audit verify [options]" },
        { ["serve", "--bogus"], "'--bogus'", "needle serve [options]" },
        { ["serve", "--port"], "'--port'", "needle serve [options]" },
        { ["worker", "extra"], "'extra'", "needle worker [options]" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task A_usage_mistake_exits_2_with_the_usage_on_stderr(string[] args, string error, string usage)
    {
        var result = await CliRunner.RunAsync(TestPaths.Pdq, args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("", result.Out);
        Assert.StartsWith("error: ", result.Error, StringComparison.Ordinal);
        Assert.Contains(error, result.Error, StringComparison.Ordinal);
        // In-process the root command is named after the test host; the needle binary says "needle".
        var error2 = result.Error.Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Matches("Usage:\n  \\S+" + System.Text.RegularExpressions.Regex.Escape(usage["needle".Length..]) + "\n", error2);
        Assert.Contains("--help' for more.", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_whose_name_starts_with_a_dash_goes_after_double_dash()
    {
        using var folder = new TempFolder();
        folder.CopyIn(TestPaths.PdqFile("photos/p04_flowers.png"), "-odd.png");

        var result = await CliRunner.RunAsync(folder.Path, "hash", "--", "-odd.png");

        Assert.Equal(0, result.ExitCode);
        Assert.EndsWith(",-odd.png", Assert.Single(result.OutLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_and_version_are_not_mistakes()
    {
        Assert.Equal(0, (await CliRunner.RunAsync(TestPaths.Pdq, "hash", "--help")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(TestPaths.Pdq, "--version")).ExitCode);
    }

    [Fact]
    public async Task Scan_writes_its_report_to_stdout_with_dash()
    {
        using var folder = new TempFolder();
        var result = await CliRunner.RunAsync(folder.Path, "scan", "--against", TestPaths.PdqFile("photos/expected.csv"), "-o", "-", TestPaths.PdqFile("photos/p04_flowers.png"));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains(",match,", result.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("-")));
    }

    [Fact]
    public async Task A_missing_folder_is_not_called_a_file()
    {
        var result = await CliRunner.RunAsync(TestPaths.Pdq, "hash", "no-such-folder/");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: no-such-folder/: no such file or folder", Assert.Single(result.ErrorLines));
    }
}
