namespace Needle.Cli.Tests;

/// <summary><c>needle worker</c> and <c>needle serve</c> options about where the data is, that stop the start.</summary>
public sealed class WorkerCommandTests
{
    [Fact]
    public async Task Db_and_postgres_together_are_a_usage_error()
    {
        using var folder = new TempFolder();
        foreach (var command in new[] { "worker", "serve" })
        {
            var result = await CliRunner.RunAsync(folder.Path, command, "--db", "needle.db", "--postgres", "Host=127.0.0.1;Database=needle");
            Assert.Equal(2, result.ExitCode);
            Assert.Contains("--db and --postgres", result.Error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(folder.File("needle.db")));
    }

    [Fact]
    public async Task Postgres_without_a_media_key_stops_before_connecting_and_says_the_key_must_be_shared()
    {
        using var folder = new TempFolder();

        // Port 1 on loopback: nothing listens, so reaching the database would be another error.
        var result = await CliRunner.RunAsync(folder.Path, "worker", "--postgres", "Host=127.0.0.1;Port=1;Database=needle", "--concurrency", "1");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("same media key", result.Error, StringComparison.Ordinal);
        Assert.Contains("NEEDLE_MEDIA_KEY", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Port=1", result.Error + result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_concurrency_and_poll_interval_are_checked()
    {
        using var folder = new TempFolder();
        Assert.Equal(2, (await CliRunner.RunAsync(folder.Path, "worker", "--db", "needle.db", "--concurrency", "0")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(folder.Path, "worker", "--db", "needle.db", "--list-poll", "0")).ExitCode);
        Assert.Equal(2, (await CliRunner.RunAsync(folder.Path, "worker", "--db", "needle.db", "--lease", "0.5")).ExitCode);
        Assert.False(File.Exists(folder.File("needle.db")));
    }

    [Fact]
    public async Task Video_segments_are_checked()
    {
        using var folder = new TempFolder();
        var result = await CliRunner.RunAsync(folder.Path, "worker", "--db", "needle.db", "--video-segments", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--video-segments must be 1 to 64", result.Error, StringComparison.Ordinal);
        Assert.Equal(2, (await CliRunner.RunAsync(folder.Path, "serve", "--db", "needle.db", "--video-segments", "65")).ExitCode);
        Assert.False(File.Exists(folder.File("needle.db")));
    }
}
