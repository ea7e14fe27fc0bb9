using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Needle.Testing;

namespace Needle.Cli.Tests;

/// <summary>
/// <c>needle list compile</c> and <c>needle scan --against FILE.ndl</c>: the compiled file gives the report its source
/// lists give, and a damaged or foreign file is refused with the file and the section named.
/// </summary>
public sealed class ListCompileCommandTests : IDisposable
{
    private static readonly string[] Sources = ["p08", "p10", "p14", "p24"];

    private readonly TempFolder _folder = new();

    public ListCompileCommandTests()
    {
        foreach (var source in Sources)
        {
            var photo = Directory.GetFiles(TestPaths.PdqFile("photos"), source + "_*.png").Single();
            _folder.CopyIn(photo, "known/" + Path.GetFileName(photo));
            foreach (var variant in Directory.GetFiles(TestPaths.PdqFile("variants"), source + "__*").Take(4))
            {
                _folder.CopyIn(variant, "incoming/" + Path.GetFileName(variant));
            }
        }

        // Exact copies (found by MD5 and SHA-256 as well) and a stranger.
        _folder.CopyIn(Directory.GetFiles(TestPaths.PdqFile("photos"), "p08_*.png").Single(), "incoming/copy_p08.png");
        _folder.CopyIn(Directory.GetFiles(TestPaths.PdqFile("photos"), "p10_*.png").Single(), "incoming/copy_p10.png");
        _folder.CopyIn(TestPaths.PdqFile("photos/p04_flowers.png"), "incoming/unrelated.png");
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Scanning_against_the_compiled_lists_gives_the_report_of_the_source_lists()
    {
        await WriteListsAsync();
        var compile = await CliRunner.RunAsync(_folder.Path, "list", "compile", "known.csv", "exact.jsonl", "--allow", "allow.csv", "-o", "lists.ndl");
        Assert.True(compile.ExitCode == 0, compile.Error);
        Assert.Contains("compiled 3 list(s)", compile.Out, StringComparison.Ordinal);

        foreach (var format in new[] { "jsonl", "csv" })
        {
            var source = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--against", "exact.jsonl", "--allow", "allow.csv", "--format", format, "incoming");
            var compiled = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "lists.ndl", "--format", format, "incoming");
            Assert.Equal(source.ExitCode, compiled.ExitCode);
            Assert.Equal(source.Out, compiled.Out);
        }

        // The report holds PDQ, MD5 and SHA-256 matches with their details, an allowed file, and list names kept.
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "lists.ndl", "--format", "jsonl", "incoming");
        var files = scan.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileName(e.GetProperty("path").GetString()!));
        var copy = files["copy_p08.png"];
        Assert.Equal("match", copy.GetProperty("status").GetString());
        var matches = copy.GetProperty("matches").EnumerateArray().ToList();
        Assert.Contains(matches, m => m.GetProperty("list").GetString() == "known" && m.GetProperty("signal").GetString() == "pdq");
        Assert.Contains(matches, m => m.GetProperty("list").GetString() == "exact" && m.GetProperty("signal").GetString() == "md5" && m.GetProperty("label").GetString() == "md5 of p08");
        Assert.Contains(matches, m => m.GetProperty("list").GetString() == "exact" && m.GetProperty("signal").GetString() == "sha256");
        Assert.Equal("allowed", files["copy_p10.png"].GetProperty("status").GetString());
        Assert.Equal("no-match", files["unrelated.png"].GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_damaged_truncated_or_foreign_compiled_list_is_refused_naming_the_file_and_the_section()
    {
        await WriteListsAsync();
        Assert.Equal(0, (await CliRunner.RunAsync(_folder.Path, "list", "compile", "known.csv", "exact.jsonl", "-o", "lists.ndl")).ExitCode);
        var bytes = File.ReadAllBytes(_folder.File("lists.ndl"));

        var (offset, length) = SectionOf(bytes, "pdq.values");
        var flipped = (byte[])bytes.Clone();
        flipped[offset + (length / 2)] ^= 0x04;
        File.WriteAllBytes(_folder.File("flipped.ndl"), flipped);
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "flipped.ndl", "incoming");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("flipped.ndl", scan.Error, StringComparison.Ordinal);
        Assert.Contains("section 'pdq.values'", scan.Error, StringComparison.Ordinal);
        Assert.Contains("checksum", scan.Error, StringComparison.Ordinal);

        File.WriteAllBytes(_folder.File("short.ndl"), bytes[..(bytes.Length * 2 / 3)]);
        scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "short.ndl", "incoming");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("error: short.ndl: section '", scan.Error, StringComparison.Ordinal);
        Assert.Contains("truncated", scan.Error, StringComparison.Ordinal);

        File.Copy(_folder.File("known.csv"), _folder.File("foreign.ndl"));
        scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "foreign.ndl", "incoming");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("error: foreign.ndl: section 'header': ", scan.Error, StringComparison.Ordinal);
        Assert.Contains("not a compiled Needle list", scan.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_list_compiles_and_scanning_against_it_matches_nothing()
    {
        File.WriteAllText(_folder.File("empty.jsonl"), "{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"empty\",\"kind\":\"known\"}\n");
        var compile = await CliRunner.RunAsync(_folder.Path, "list", "compile", "empty.jsonl", "-o", "empty.ndl");
        Assert.True(compile.ExitCode == 0, compile.Error);
        Assert.Contains("0 entries", compile.Out, StringComparison.Ordinal);

        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "empty.ndl", "--format", "jsonl", "incoming");
        Assert.Equal(0, scan.ExitCode);
        Assert.NotEmpty(scan.OutLines);
        Assert.All(scan.OutLines, l => Assert.Equal("no-match", JsonDocument.Parse(l).RootElement.GetProperty("status").GetString()));
    }

    /// <summary>known.csv (PDQ, from <c>needle hash</c>), exact.jsonl (MD5 and SHA-256 with labels and metadata) and allow.csv (p10).</summary>
    private async Task WriteListsAsync()
    {
        var known = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        Assert.Equal(0, known.ExitCode);
        File.WriteAllText(_folder.File("known.csv"), known.Out);
        var allow = await CliRunner.RunAsync(_folder.Path, "hash", Path.Combine("known", Path.GetFileName(Directory.GetFiles(_folder.File("known"), "p10_*.png").Single())));
        File.WriteAllText(_folder.File("allow.csv"), allow.Out);

        var exact = new StringBuilder("{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"exact\",\"kind\":\"known\"}\n");
        var id = 1;
        foreach (var photo in Directory.GetFiles(_folder.File("known")).Order(StringComparer.Ordinal))
        {
            var bytes = File.ReadAllBytes(photo);
            var name = Path.GetFileName(photo)[..3];
            exact.Append("{\"id\":").Append(id++).Append(",\"signalType\":\"md5\",\"value\":\"").Append(Convert.ToHexStringLower(MD5.HashData(bytes)))
                .Append("\",\"label\":\"md5 of ").Append(name).Append("\",\"category\":\"B2\",\"source\":\"unit\",\"enabled\":true,\"metadata\":{\"case\":\"").Append(name).Append("\"}}\n");
            exact.Append("{\"id\":").Append(id++).Append(",\"signalType\":\"sha256\",\"value\":\"").Append(Convert.ToHexStringLower(SHA256.HashData(bytes)))
                .Append("\",\"label\":\"sha256 of ").Append(name).Append("\",\"enabled\":true}\n");
        }

        File.WriteAllText(_folder.File("exact.jsonl"), exact.ToString());
    }

    private static (int Offset, int Length) SectionOf(byte[] bytes, string name)
    {
        var count = BitConverter.ToInt32(bytes, 12);
        for (var i = 0; i < count; i++)
        {
            var row = 32 + (48 * i);
            if (Encoding.ASCII.GetString(bytes, row, 16).TrimEnd('\0') == name)
            {
                return ((int)BitConverter.ToInt64(bytes, row + 16), (int)BitConverter.ToInt64(bytes, row + 24));
            }
        }

        throw new InvalidOperationException($"no section {name}");
    }
}
