namespace Needle.Cli.Tests;

/// <summary>
/// The load harnesses (one creates and drops PostgreSQL databases) are not in the shipped needle: they live in
/// tools/Needle.LoadTest.
/// </summary>
public sealed class NoBenchCommandTests
{
    [Theory]
    [InlineData("bench")]
    [InlineData("bench", "match", "--entries", "100")]
    [InlineData("bench", "workers", "--postgres", "Host=127.0.0.1;Port=1;Database=postgres")]
    public async Task Bench_is_an_unknown_command(params string[] args)
    {
        var result = await CliRunner.RunAsync(Path.GetTempPath(), args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error: unrecognized command or argument 'bench'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_no_bench_command()
    {
        var result = await CliRunner.RunAsync(Path.GetTempPath(), "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("worker", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("bench", result.Out, StringComparison.OrdinalIgnoreCase);
    }
}
