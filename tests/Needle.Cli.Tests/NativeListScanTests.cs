using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Needle.Testing;

namespace Needle.Cli.Tests;

/// <summary>
/// <c>needle scan --against LIST.jsonl</c> and <c>needle list compile</c> of a native list: the list read in parallel
/// gives the report and the compiled file the ordinary reader gives (a list with one line only that reader takes).
/// </summary>
public sealed class NativeListScanTests : IDisposable
{
    private static readonly string[] Sources = ["p08", "p10", "p14", "p24"];

    private readonly TempFolder _folder = new();

    public NativeListScanTests()
    {
        foreach (var source in Sources)
        {
            var photo = Directory.GetFiles(TestPaths.PdqFile("photos"), source + "_*.png").Single();
            _folder.CopyIn(photo, "known/" + Path.GetFileName(photo));
            foreach (var variant in Directory.GetFiles(TestPaths.PdqFile("variants"), source + "__*").Take(3))
            {
                _folder.CopyIn(variant, "incoming/" + Path.GetFileName(variant));
            }
        }

        _folder.CopyIn(Directory.GetFiles(TestPaths.PdqFile("photos"), "p08_*.png").Single(), "incoming/copy_p08.png");
        _folder.CopyIn(Directory.GetFiles(TestPaths.PdqFile("photos"), "p24_*.png").Single(), "incoming/copy_p24.png");
        _folder.CopyIn(TestPaths.PdqFile("photos/p04_flowers.png"), "incoming/unrelated.png");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task A_native_list_gives_the_report_and_the_compiled_file_of_the_ordinary_reader()
    {
        var lines = await ListLinesAsync();
        Directory.CreateDirectory(_folder.File("fast"));
        Directory.CreateDirectory(_folder.File("slow"));
        File.WriteAllText(_folder.File("fast/list.jsonl"), string.Join("\n", lines) + "\n");

        // An unknown field: the parallel reader leaves the file to the ordinary reader, which ignores the field.
        lines[3] = lines[3].Replace("{\"id\":", "{\"reviewed\":true,\"id\":", StringComparison.Ordinal);
        File.WriteAllText(_folder.File("slow/list.jsonl"), string.Join("\n", lines) + "\n");

        foreach (var format in new[] { "jsonl", "csv" })
        {
            var fast = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "fast/list.jsonl", "--format", format, "--no-clues", "incoming");
            var slow = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "slow/list.jsonl", "--format", format, "--no-clues", "incoming");
            Assert.True(fast.ExitCode is 0 or 1, fast.Error);
            Assert.Equal(slow.ExitCode, fast.ExitCode);
            Assert.Equal(slow.Out, fast.Out);
        }

        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "fast/list.jsonl", "--format", "jsonl", "--no-clues", "incoming");
        var files = scan.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileName(e.GetProperty("path").GetString()!));
        var matches = files["copy_p08.png"].GetProperty("matches").EnumerateArray().ToList();
        Assert.Contains(matches, m => m.GetProperty("signal").GetString() == "md5" && m.GetProperty("label").GetString() == "md5 of p08 \"é\" ✓");
        Assert.Contains(matches, m => m.GetProperty("signal").GetString() == "pdq" && m.GetProperty("label").GetString() == "pdq of p08 \"é\" ✓");

        // The p24 entries are disabled: its exact copy matches nothing.
        Assert.Equal("no-match", files["copy_p24.png"].GetProperty("status").GetString());
        Assert.Equal("no-match", files["unrelated.png"].GetProperty("status").GetString());

        Assert.Equal(0, (await CliRunner.RunAsync(_folder.Path, "list", "compile", "fast/list.jsonl", "-o", "fast.ndl")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(_folder.Path, "list", "compile", "slow/list.jsonl", "-o", "slow.ndl")).ExitCode);
        Assert.Equal(File.ReadAllBytes(_folder.File("slow.ndl")), File.ReadAllBytes(_folder.File("fast.ndl")));
    }

    [Fact]
    public async Task A_bad_line_far_into_a_native_list_is_reported_with_its_line()
    {
        var lines = await ListLinesAsync();
        lines.Insert(lines.Count - 5, "{\"id\":999999,\"signalType\":\"sha256\",\"value\":\"12345\"}");
        File.WriteAllText(_folder.File("broken.jsonl"), string.Join("\n", lines) + "\n");

        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "broken.jsonl", "--no-clues", "incoming");
        Assert.Equal(2, scan.ExitCode);
        var line = (lines.Count - 5).ToString(CultureInfo.InvariantCulture);
        Assert.Contains($"broken.jsonl: 1 error, nothing imported: record {line}, field value:", scan.Error, StringComparison.Ordinal);
        Assert.Empty(scan.Out);
    }

    /// <summary>
    /// A header, then per known photo its PDQ (from <c>needle hash</c>), MD5 and SHA-256 entries with escaped and
    /// non-ASCII labels, categories, sources and metadata (p24's disabled), between thousands of random PDQ entries.
    /// </summary>
    private async Task<List<string>> ListLinesAsync()
    {
        var hash = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        Assert.Equal(0, hash.ExitCode);
        var pdq = hash.OutLines.Select(l => l.Split(',')).Where(f => f[0].Length == 64).ToDictionary(f => Path.GetFileName(f[2])[..3], f => f[0]);
        var lines = new List<string> { "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"native\",\"kind\":\"known\",\"thresholds\":{\"pdq\":31}}" };
        var random = new Random(21);
        var id = 1;
        void Filler(int count)
        {
            var bytes = new byte[32];
            for (var i = 0; i < count; i++)
            {
                random.NextBytes(bytes);
                bytes[0] |= 1;
                lines.Add(string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{id++},\"signalType\":\"pdq\",\"value\":\"{Convert.ToHexStringLower(bytes)}\",\"label\":\"filler {i}\",\"source\":\"feed\",\"enabled\":true,\"metadata\":{{\"case\":\"C-{i % 97}\"}}}}"));
            }
        }

        Filler(2_000);
        foreach (var photo in Directory.GetFiles(_folder.File("known")).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(photo)[..3];
            var bytes = File.ReadAllBytes(photo);
            var enabled = name == "p24" ? "false" : "true";
            foreach (var (type, value) in new[] { ("pdq", pdq[name]), ("md5", Convert.ToHexStringLower(MD5.HashData(bytes))), ("sha256", Convert.ToHexString(SHA256.HashData(bytes))) })
            {
                var label = JsonSerializer.Serialize($"{type} of {name} \"é\" ✓");
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{{\"id\":{id++},\"signalType\":\"{type}\",\"value\":\"{value}\",\"label\":{label},\"category\":\"A1\",\"source\":\"ünit\",\"enabled\":{enabled},\"metadata\":{{\"case\":\"{name}\",\"note\":\"line\\nbreak\"}}}}"));
            }

            Filler(500);
        }

        return lines;
    }
}
