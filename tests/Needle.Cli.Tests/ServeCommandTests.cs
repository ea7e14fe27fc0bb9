namespace Needle.Cli.Tests;

/// <summary><c>needle serve</c> options that stop the start.</summary>
public sealed class ServeCommandTests
{
    [Fact]
    public async Task A_bad_routing_file_is_an_error_naming_the_problem()
    {
        using var folder = new TempFolder();
        folder.Write("routing.json", """{ "rules": [ { "country": "FR" } ], "default": { "queue": "international" } }"""u8.ToArray());
        var result = await CliRunner.RunAsync(folder.Path, "serve", "--db", "needle.db", "--urls", "http://127.0.0.1:0", "--routing", "routing.json", "--ip-db", "missing.mmdb");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
        Assert.Contains("needs a 'queue'", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("needle.db")));
    }

    [Fact]
    public async Task A_bad_scoring_file_is_an_error_naming_the_file_and_the_problem()
    {
        using var folder = new TempFolder();
        folder.Write("scoring.json", """{ "nearDuplicateDistance": 999 }"""u8.ToArray());
        var result = await CliRunner.RunAsync(folder.Path, "serve", "--db", "needle.db", "--urls", "http://127.0.0.1:0", "--scoring", "scoring.json", "--ip-db", "missing.mmdb");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
        Assert.Contains("scoring.json", result.Error, StringComparison.Ordinal);
        Assert.Contains("nearDuplicateDistance must be 0 to 128", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("needle.db")));
    }

    [Fact]
    public async Task A_missing_routing_file_is_an_error()
    {
        using var folder = new TempFolder();
        var result = await CliRunner.RunAsync(folder.Path, "serve", "--db", "needle.db", "--routing", "nowhere.json");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("nowhere.json", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_flood_guard_scope_is_an_error_naming_the_choices()
    {
        using var folder = new TempFolder();
        var result = await CliRunner.RunAsync(folder.Path, "serve", "--db", "needle.db", "--urls", "http://127.0.0.1:0", "--flood-guard-lists", "local");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("--flood-guard-lists must be exchange, all or none; got 'local'", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(folder.File("needle.db")));
    }
}
