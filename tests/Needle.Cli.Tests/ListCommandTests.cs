using Needle.Testing;

namespace Needle.Cli.Tests;

public sealed class ListCommandTests
{
    [Fact]
    public async Task Convert_csv_to_vics_and_back_keeps_every_hash()
    {
        using var folder = new TempFolder();
        var hashed = await CliRunner.RunAsync(TestPaths.Pdq, "hash", "photos/p01_keong_macan.png", "photos/p04_flowers.png");
        File.WriteAllText(folder.File("list.csv"), hashed.Out);

        var toVics = await CliRunner.RunAsync(folder.Path, "list", "convert", "list.csv", "--to", "vics", "-o", "list.json");
        Assert.Equal(0, toVics.ExitCode);
        Assert.Contains("@odata.context", File.ReadAllText(folder.File("list.json")), StringComparison.Ordinal);

        var back = await CliRunner.RunAsync(folder.Path, "list", "convert", "list.json", "--to", "needle", "-o", "list.jsonl");
        Assert.Equal(0, back.ExitCode);
        var native = File.ReadAllText(folder.File("list.jsonl"));
        foreach (var line in hashed.OutLines)
        {
            Assert.Contains(line.Split(',')[0], native, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Stats_counts_entries_by_signal_type()
    {
        using var folder = new TempFolder();
        var hashed = await CliRunner.RunAsync(TestPaths.Pdq, "hash", "photos");
        File.WriteAllText(folder.File("photos.csv"), hashed.Out);

        // The two images under 5 px hash to all zeros, which can never match: skipped with a warning, not refused.
        var stats = await CliRunner.RunAsync(folder.Path, "list", "stats", "photos.csv", "--json");
        Assert.Equal(0, stats.ExitCode);
        Assert.Equal(2, stats.ErrorLines.Length);
        Assert.StartsWith("warning: photos.csv: record 5, field hash: the all-zero PDQ hash", stats.ErrorLines[0], StringComparison.Ordinal);
        Assert.StartsWith("warning: photos.csv: record 6, field hash: the all-zero PDQ hash", stats.ErrorLines[1], StringComparison.Ordinal);
        using var json = System.Text.Json.JsonDocument.Parse(stats.Out);
        Assert.Equal(hashed.OutLines.Length - 2, json.RootElement.GetProperty("total").GetInt32());
        Assert.Equal(hashed.OutLines.Length - 2, json.RootElement.GetProperty("by_signal_type").GetProperty("pdq").GetInt32());
    }

    [Fact]
    public async Task Convert_to_dash_writes_to_stdout()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("list.txt"), "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e\n");
        var converted = await CliRunner.RunAsync(folder.Path, "list", "convert", "list.txt", "--to", "csv", "-o", "-");
        Assert.Equal(0, converted.ExitCode);
        Assert.Contains("30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e", converted.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("-")));
        Assert.Contains("wrote 1 entries to stdout", converted.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("convert", "missing.csv", "--to", "csv", "-o", "out.csv")]
    [InlineData("stats", "missing.csv")]
    [InlineData("verify", "missing.csv")]
    public async Task A_missing_list_is_the_same_usage_error_in_every_list_command(params string[] args)
    {
        using var folder = new TempFolder();
        var result = await CliRunner.RunAsync(folder.Path, ["list", .. args]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: missing.csv: the list file does not exist", result.Error, StringComparison.Ordinal);
        Assert.Contains("Usage:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_folder_given_as_a_list_is_named_a_folder()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("lists"));
        var result = await CliRunner.RunAsync(folder.Path, "list", "stats", "lists");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: lists: this is a folder, not a list file", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_reports_invalid_records_and_fails()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("bad.txt"), "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e\nzz\n30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e\n");
        var verify = await CliRunner.RunAsync(folder.Path, "list", "verify", "bad.txt");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("record 2", verify.Out, StringComparison.Ordinal);
        Assert.Contains("duplicate pdq", verify.Out, StringComparison.Ordinal);
        Assert.Contains("NOT OK", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_without_skip_invalid_writes_nothing_from_a_bad_file()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("bad.txt"), "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e\nzz\n");
        var refused = await CliRunner.RunAsync(folder.Path, "list", "convert", "bad.txt", "--to", "needle", "-o", "out.jsonl");
        Assert.Equal(2, refused.ExitCode);
        Assert.False(File.Exists(folder.File("out.jsonl")));

        var skipped = await CliRunner.RunAsync(folder.Path, "list", "convert", "bad.txt", "--to", "needle", "-o", "out.jsonl", "--skip-invalid");
        Assert.Equal(0, skipped.ExitCode);
        Assert.Contains("record 2", skipped.Error, StringComparison.Ordinal);
        Assert.True(File.Exists(folder.File("out.jsonl")));
    }
}
