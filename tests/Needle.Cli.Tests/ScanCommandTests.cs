using System.Text.Json;
using Needle.Testing;

namespace Needle.Cli.Tests;

/// <summary>
/// The end-to-end flow of the matching issue: a list made by <c>needle hash</c> from a folder, then
/// <c>needle scan --against</c> it over transformed copies and unrelated photos.
/// </summary>
public sealed class ScanCommandTests : IDisposable
{
    /// <summary>Sources of the shared variants whose own hash has quality >= 50 (p26's is 35, so PDQ ignores it).</summary>
    private static readonly string[] Sources = ["p08", "p10", "p14", "p24", "p29", "p30", "p33", "p35", "p38"];

    /// <summary>Transforms the reference puts within PDQ's threshold of the source for every source above.</summary>
    private static readonly string[] NearTransforms = ["jpeg_q50", "resize_50", "grayscale"];

    private static readonly string[] Unrelated =
        ["p01_keong_macan", "p02_bliznaca", "p04_flowers", "p07_gophers", "p15_city_pano", "p19_sunrise_pano", "p31_cep_mushroom", "p36_defocused_text"];

    private readonly TempFolder _folder = new();

    public ScanCommandTests()
    {
        foreach (var source in Sources)
        {
            var photo = Directory.GetFiles(TestPaths.PdqFile("photos"), source + "_*.png").Single();
            _folder.CopyIn(photo, "known/" + Path.GetFileName(photo));
            foreach (var variant in Directory.GetFiles(TestPaths.PdqFile("variants"), source + "__*"))
            {
                _folder.CopyIn(variant, "incoming/" + Path.GetFileName(variant));
            }
        }

        foreach (var name in Unrelated)
        {
            _folder.CopyIn(TestPaths.PdqFile($"photos/{name}.png"), $"incoming/unrelated_{name}.png");
        }
    }

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task Copies_are_found_and_named_and_unrelated_photos_are_not_flagged()
    {
        var list = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        Assert.Equal(0, list.ExitCode);
        File.WriteAllText(_folder.File("known.csv"), list.Out);

        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--format", "jsonl", "incoming");
        Assert.Equal(0, scan.ExitCode);
        var files = scan.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToDictionary(e => Path.GetFileName(e.GetProperty("path").GetString()!));
        Assert.Equal((Sources.Length * 8) + Unrelated.Length, files.Count);

        foreach (var source in Sources)
        {
            foreach (var transform in NearTransforms)
            {
                var file = files.Single(f => f.Key.StartsWith($"{source}__{transform}.", StringComparison.Ordinal)).Value;
                Assert.Equal("match", file.GetProperty("status").GetString());
                var match = file.GetProperty("matches")[0];
                Assert.StartsWith($"{source}_", match.GetProperty("label").GetString(), StringComparison.Ordinal);
                Assert.Equal("known", match.GetProperty("list").GetString());
                Assert.InRange(match.GetProperty("distance").GetInt32(), 0, 31);
            }
        }

        // Left-right mirrors are found through the dihedral hashes, and the match says which transform.
        foreach (var source in new[] { "p08", "p10", "p14", "p24", "p30", "p33", "p38" })
        {
            var file = files[$"{source}__flip_h.png"];
            Assert.Equal("match", file.GetProperty("status").GetString());
            var match = file.GetProperty("matches")[0];
            Assert.StartsWith($"{source}_", match.GetProperty("label").GetString(), StringComparison.Ordinal);
            Assert.Equal("flipy", match.GetProperty("transform").GetString());
        }

        foreach (var name in Unrelated)
        {
            Assert.Equal("no-match", files[$"unrelated_{name}.png"].GetProperty("status").GetString());
        }

        Assert.Contains("series of near-duplicates", scan.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_dihedral_lookup_mirrors_are_missed()
    {
        var list = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        File.WriteAllText(_folder.File("known.csv"), list.Out);
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--no-dihedral", "--format", "jsonl", "incoming/p14__flip_h.png");
        Assert.Equal("no-match", JsonDocument.Parse(scan.OutLines.Single()).RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_allow_list_entry_turns_a_match_into_allowed()
    {
        var list = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        File.WriteAllText(_folder.File("known.csv"), list.Out);
        var allow = await CliRunner.RunAsync(_folder.Path, "hash", "known/p14_iss.png");
        File.WriteAllText(_folder.File("false-positives.csv"), allow.Out);

        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--allow", "false-positives.csv",
            "incoming/p14__jpeg_q50.jpg", "incoming/p08__jpeg_q50.jpg");
        Assert.Equal(0, scan.ExitCode);
        var rows = scan.OutLines.Skip(1).Select(l => l.Split(',')).ToArray();
        Assert.Equal("path,status,pdq,quality,md5,list,label,category,signal,matched,distance,transform,frame,series,error,"
            + "gps_lat,gps_lon,country,region,captured,camera_make,camera_model,camera_serial,thumbnail_differs,metadata_error", scan.OutLines[0]);
        Assert.Equal(["incoming/p14__jpeg_q50.jpg", "allowed"], rows[0][..2]);
        Assert.Equal("false-positives", rows[0][5]);
        Assert.Equal(["incoming/p08__jpeg_q50.jpg", "match"], rows[1][..2]);
        Assert.Contains("1 matched, 1 allowed", scan.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_stricter_threshold_drops_distant_copies()
    {
        var list = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        File.WriteAllText(_folder.File("known.csv"), list.Out);
        var loose = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--format", "jsonl", "incoming");
        var strict = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--format", "jsonl", "--threshold", "0", "incoming");
        int Matched(CliRunner.Result r) => r.OutLines.Count(l => l.Contains("\"status\":\"match\"", StringComparison.Ordinal));
        Assert.True(Matched(strict) < Matched(loose));
        foreach (var line in strict.OutLines.Where(l => l.Contains("\"status\":\"match\"", StringComparison.Ordinal)))
        {
            Assert.Contains("\"distance\":0", line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Html_report_is_one_self_contained_file()
    {
        var list = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        File.WriteAllText(_folder.File("known.csv"), list.Out);
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--format", "html", "--out", "report.html", "incoming");
        Assert.Equal(0, scan.ExitCode);
        Assert.Equal("", scan.Out);
        var html = File.ReadAllText(_folder.File("report.html"));
        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Contains("incoming/p14__jpeg_q50.jpg", html, StringComparison.Ordinal);
        Assert.Contains("Series of near-duplicates", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Near_duplicates_among_scanned_files_form_series()
    {
        var list = await CliRunner.RunAsync(_folder.Path, "hash", "known");
        File.WriteAllText(_folder.File("known.csv"), list.Out);
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "known.csv", "--format", "jsonl", "incoming");
        var bySeries = scan.OutLines.Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.TryGetProperty("series", out _))
            .GroupBy(e => e.GetProperty("series").GetInt32())
            .ToList();
        Assert.NotEmpty(bySeries);
        foreach (var series in bySeries)
        {
            // Every series groups copies of one source photo.
            var sources = series.Select(e => Path.GetFileName(e.GetProperty("path").GetString()!)[..3]).Distinct().ToList();
            Assert.Single(sources);
            Assert.True(series.Count() >= 2);
        }
    }

    [Fact]
    public async Task A_malformed_list_is_refused_with_the_record_number()
    {
        File.WriteAllText(_folder.File("bad.csv"), "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e,100,a.png\nnot-a-hash,100,b.png\n");
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "--against", "bad.csv", "incoming");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("bad.csv", scan.Error, StringComparison.Ordinal);
        Assert.Contains("record 2", scan.Error, StringComparison.Ordinal);
        Assert.Equal("", scan.Out);
    }

    [Fact]
    public async Task Scanning_needs_a_list()
    {
        var scan = await CliRunner.RunAsync(_folder.Path, "scan", "incoming");
        Assert.Equal(2, scan.ExitCode);
        Assert.Contains("--against", scan.Error, StringComparison.Ordinal);
    }
}
