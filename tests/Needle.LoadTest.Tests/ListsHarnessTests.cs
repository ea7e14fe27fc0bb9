using System.Globalization;
using Needle.LoadTest.Lists;
using static Needle.LoadTest.Tests.LoadTestRunner;

namespace Needle.LoadTest.Tests;

/// <summary>The <c>lists</c> harness: a generated list loaded, imported, restarted and looked up.</summary>
public sealed class ListsHarnessTests
{
    [Fact]
    public async Task A_tiny_lists_benchmark_completes_and_every_checked_lookup_equals_brute_force()
    {
        var result = await RunAsync("lists", "--entries", "2000", "--lookups", "300", "--concurrency", "4", "--check", "300", "--warmup", "1");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest lists: 2,000 entries (PDQ + MD5", lines[0], StringComparison.Ordinal);
        Assert.Equal("brute force identical   300/300", lines[^1]);
        // Rates are positive; times of a tiny list can print as 0.00 on a quiet machine, so they are only required.
        foreach (var name in new[] { "import entries/s", "cold start s", "lookups/s", "lookup p50 ms", "lookup p99 ms" })
        {
            var line = Assert.Single(lines, l => l.StartsWith(name, StringComparison.Ordinal));
            Assert.True(double.Parse(Fields(line[name.Length..])[0], CultureInfo.InvariantCulture) > 0, line);
        }

        foreach (var name in new[] { "scan load native s", "scan load CSV s" })
        {
            var line = Assert.Single(lines, l => l.StartsWith(name, StringComparison.Ordinal));
            Assert.True(double.Parse(Fields(line[name.Length..])[0], CultureInfo.InvariantCulture) >= 0, line);
        }

        // The compiled list: written, opened, and its matches equal brute force; times only required to print.
        foreach (var name in new[] { "compile .ndl s", "scan open .ndl s", "scan .ndl first match s", "scan .ndl B/entry" })
        {
            var line = Assert.Single(lines, l => l.StartsWith(name, StringComparison.Ordinal));
            Assert.True(double.TryParse(Fields(line[name.Length..])[0], CultureInfo.InvariantCulture, out _), line);
        }

        Assert.Equal("scan .ndl identical     300/300", Assert.Single(lines, l => l.StartsWith("scan .ndl identical", StringComparison.Ordinal)));
        Assert.Contains("(1000 PDQ entries)", Assert.Single(lines, l => l.StartsWith("scan load CSV s", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cli_only_run_times_the_real_needle_and_finds_every_checked_hash_in_the_compiled_list()
    {
        var result = await RunAsync("lists", "--cli-only", "--entries", "3000", "--check", "50");

        Assert.True(result.ExitCode == 0, result.Error);
        var lines = result.OutLines;
        Assert.StartsWith("Needle.LoadTest lists --cli-only: 3,000 PDQ lines", lines[0], StringComparison.Ordinal);
        foreach (var step in new[] { "scan csv", "compile", "scan ndl" })
        {
            var fields = Fields(Assert.Single(lines, l => l.StartsWith("this      " + step + " ", StringComparison.Ordinal))["this      ".Length..][step.Length..]);
            Assert.Equal(6, fields.Length);
            Assert.True(double.Parse(fields[2], CultureInfo.InvariantCulture) > 0, "peak RSS of " + step);
        }

        Assert.Equal("listed hashes found     50/50", lines[^1]);
    }

    [Fact]
    public void Half_the_queries_are_near_copies_that_brute_force_finds()
    {
        var listed = ListsBenchmark.Queries(ListsBenchmark.Queries([Needle.Hashing.PdqHash.FromWords([1, 2, 3, 4])], 400, 5), 400, 9);
        var queries = ListsBenchmark.Queries(listed, 100, 3);
        for (var i = 0; i < queries.Length; i += 2)
        {
            Assert.NotEmpty(ListsBenchmark.BruteForce(listed, queries[i]));
        }
    }
}
