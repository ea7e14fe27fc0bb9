using System.Buffers.Binary;
using System.Text.Json;
using Needle.Testing;

namespace Needle.Cli.Tests;

public sealed class HashCommandTests
{
    private static readonly string[] SomePhotos =
    [
        "p01_keong_macan.png", "p04_flowers.png", "p16_courtyard_pano.png", "p23_cell_grey.png",
        "p26_clock_rgbgrey.png", "p35_sombrero_galaxy.png", "e1_alpha_rgba.png", "e7_5x5.png",
    ];

    [Fact]
    public async Task Folder_output_is_the_reference_csv_in_name_order()
    {
        using var folder = new TempFolder();
        var expected = ExpectedPhotos();
        foreach (var name in SomePhotos)
        {
            folder.CopyIn(TestPaths.PdqFile("photos/" + name), "in/" + name);
        }

        var result = await CliRunner.RunAsync(folder.Path, "hash", "in");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Error);
        var expectedLines = SomePhotos.Order(StringComparer.Ordinal)
            .Select(name => $"{expected[name]},{name}")
            .ToArray();
        Assert.Equal(expectedLines, result.OutLines);
    }

    [Theory]
    [InlineData("relative", "sub/a.png", "b.png")]
    [InlineData("name", "a.png", "b.png")]
    public async Task Labels_are_relative_to_the_folder_given_or_names(string mode, string folderLabel, string fileLabel)
    {
        using var folder = new TempFolder();
        folder.CopyIn(TestPaths.PdqFile("photos/p01_keong_macan.png"), "in/sub/a.png");
        folder.CopyIn(TestPaths.PdqFile("photos/p04_flowers.png"), "other/b.png");

        var result = await CliRunner.RunAsync(folder.Path, "hash", "--label-from", mode, folder.Path + "/in", "other/b.png");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal([folderLabel, fileLabel], result.OutLines.Select(l => l.Split(',')[2]));
    }

    [Fact]
    public async Task Absolute_labels_are_full_paths_and_errors_keep_the_spelling_given()
    {
        using var folder = new TempFolder();
        folder.CopyIn(TestPaths.PdqFile("photos/p01_keong_macan.png"), "in/a.png");
        folder.Write("in/bad.png", "not a picture"u8.ToArray());

        var result = await CliRunner.RunAsync(folder.Path, "hash", "--label-from", "absolute", "in");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(Path.Combine(folder.Path, "in", "a.png"), Assert.Single(result.OutLines).Split(',')[2]);
        Assert.StartsWith("error: in/bad.png: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Images_too_small_to_hash_are_warned_about_on_stderr()
    {
        var result = await CliRunner.RunAsync(TestPaths.Pdq, "hash", "photos/e5_1x1.png", "photos/e6_4x4.png", "photos/e7_5x5.png");

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(3, result.OutLines.Length);
        Assert.Equal(
            [
                "warning: photos/e5_1x1.png: the image is too small to hash (1x1 pixels): all-zero PDQ hash, quality 0; it can never match and list readers skip it",
                "warning: photos/e6_4x4.png: the image is too small to hash (4x4 pixels): all-zero PDQ hash, quality 0; it can never match and list readers skip it",
            ],
            result.ErrorLines);
    }

    [Fact]
    public async Task Thread_count_does_not_change_the_output()
    {
        var photos = TestPaths.PdqFile("photos");
        var one = await CliRunner.RunAsync(photos, "hash", "--threads", "1", ".");
        var many = await CliRunner.RunAsync(photos, "hash", "--threads", "4", ".");
        Assert.Equal(0, one.ExitCode);
        Assert.Equal(one.Out, many.Out);
        Assert.Equal(47, one.OutLines.Length);
    }

    [Fact]
    public async Task Dihedral_prints_eight_hashes_then_quality_then_path()
    {
        var bridge = TestPaths.Pdq;
        var result = await CliRunner.RunAsync(bridge, "hash", "--dihedral", "bridge/mods/square-512x512.jpg");
        Assert.Equal(0, result.ExitCode);
        var columns = Assert.Single(result.OutLines).Split(',');
        Assert.Equal(10, columns.Length);
        Assert.Equal("square-512x512.jpg", columns[9]);

        var expected = File.ReadLines(TestPaths.PdqFile("bridge/expected_dihedral.csv"))
            .Single(l => l.StartsWith("bridge/mods/square-512x512.jpg,", StringComparison.Ordinal)).Split(',');
        for (var t = 0; t < 8; t++)
        {
            Assert.InRange(Hashing.PdqHash.Parse(columns[t]).HammingDistance(Hashing.PdqHash.Parse(expected[1 + t])), 0, 8);
        }

        Assert.Equal(expected[9], columns[8]);
    }

    [Fact]
    public async Task Algorithms_print_in_the_order_given_with_a_header()
    {
        using var folder = new TempFolder();
        folder.Write("a.png", File.ReadAllBytes(TestPaths.PdqFile("photos/p01_keong_macan.png")));
        var result = await CliRunner.RunAsync(folder.Path, "hash", "--header", "-a", "sha256", "-a", "pdq", "-a", "md5", "a.png");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(2, result.OutLines.Length);
        Assert.Equal("sha256,hash,quality,md5,path", result.OutLines[0]);
        var bytes = File.ReadAllBytes(folder.File("a.png"));
        var sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));
        var md5 = Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(bytes));
        Assert.Equal($"{sha256},{ExpectedPhotos()["p01_keong_macan.png"]},{md5},a.png", result.OutLines[1]);
    }

    [Fact]
    public async Task Json_lines_carry_hashes_and_errors()
    {
        using var folder = new TempFolder();
        folder.Write("good.png", File.ReadAllBytes(TestPaths.PdqFile("photos/p04_flowers.png")));
        folder.Write("bad.jpg", "this is not an image"u8.ToArray());
        var result = await CliRunner.RunAsync(folder.Path, "hash", "--format", "jsonl", "-a", "pdq", "-a", "sha1", "good.png", "bad.jpg");
        Assert.Equal(1, result.ExitCode);
        var lines = result.OutLines.Select(l => JsonDocument.Parse(l).RootElement).ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal("good.png", lines[0].GetProperty("path").GetString());
        Assert.Equal(ExpectedPhotos()["p04_flowers.png"].Split(',')[0], lines[0].GetProperty("pdq").GetString());
        Assert.Equal(300, lines[0].GetProperty("width").GetInt32());
        Assert.Equal("bad.jpg", lines[1].GetProperty("path").GetString());
        Assert.False(string.IsNullOrEmpty(lines[1].GetProperty("error").GetString()));
        Assert.Equal(40, lines[1].GetProperty("sha1").GetString()!.Length);
        Assert.Contains("error: bad.jpg:", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_files_are_named_on_stderr_and_the_good_file_is_still_hashed()
    {
        using var folder = new TempFolder();
        folder.Write("0-good.png", File.ReadAllBytes(TestPaths.PdqFile("photos/p01_keong_macan.png")));
        folder.Write("1-empty.jpg", []);
        var random = new byte[4096];
        new Random(1).NextBytes(random);
        folder.Write("2-random.png", random);
        folder.Write("3-text.jpg", "Dear analyst, this is text."u8.ToArray());
        folder.Write("4-claims-65000x65000.png", PngHeaderClaiming(65000, 65000));
        folder.Write("5-bomb-40000x40000.png", PngHeaderClaiming(40000, 40000));

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await CliRunner.RunAsync(folder.Path, "hash", "--threads", "2", ".");
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"{ExpectedPhotos()["p01_keong_macan.png"]},0-good.png", Assert.Single(result.OutLines));
        var errors = result.ErrorLines;
        Assert.Equal(5, errors.Length);
        Assert.StartsWith("error: ./1-empty.jpg: ", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("error: ./2-random.png: ", errors[1], StringComparison.Ordinal);
        Assert.StartsWith("error: ./3-text.jpg: ", errors[2], StringComparison.Ordinal);
        Assert.StartsWith("error: ./4-claims-65000x65000.png: ", errors[3], StringComparison.Ordinal);
        Assert.Contains("65000", errors[3], StringComparison.Ordinal);
        Assert.StartsWith("error: ./5-bomb-40000x40000.png: ", errors[4], StringComparison.Ordinal);

        // A 40000x40000 RGBA buffer would be 6.4 GB: refusing from the header allocates almost nothing.
        Assert.True(allocated < 200_000_000, $"allocated {allocated:N0} bytes");
    }

    [Fact]
    public async Task Missing_files_are_errors_and_the_run_goes_on()
    {
        var result = await CliRunner.RunAsync(TestPaths.Pdq, "hash", "nope.png", "photos/p04_flowers.png");
        Assert.Equal(1, result.ExitCode);
        Assert.Single(result.OutLines);
        Assert.Equal("error: nope.png: no such file or folder", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public async Task Files_from_stdin_are_hashed_in_the_order_listed()
    {
        var stdin = "photos/p04_flowers.png\nphotos/p01_keong_macan.png\r\n\n";
        var result = await CliRunner.RunWithInputAsync(TestPaths.Pdq, stdin, "hash", "--files-from", "-");
        Assert.Equal(0, result.ExitCode);
        var expected = ExpectedPhotos();
        Assert.Equal(
            [$"{expected["p04_flowers.png"]},p04_flowers.png", $"{expected["p01_keong_macan.png"]},p01_keong_macan.png"],
            result.OutLines);
    }

    [Fact]
    public async Task No_input_is_a_usage_error()
    {
        var result = await CliRunner.RunAsync(TestPaths.Pdq, "hash");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no input files", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_executable_runs_as_a_process_with_version_and_help()
    {
        var version = await CliRunner.RunProcessAsync(TestPaths.Pdq, "", "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+", version.Out.Trim());

        var help = await CliRunner.RunProcessAsync(TestPaths.Pdq, "", "hash", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--dihedral", help.Out, StringComparison.Ordinal);

        var run = await CliRunner.RunProcessAsync(TestPaths.Pdq, "", "hash", "photos/p04_flowers.png", "missing.jpg");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"{ExpectedPhotos()["p04_flowers.png"]},p04_flowers.png", run.Out.Trim());
        Assert.Contains("error: missing.jpg: no such file or folder", run.Error, StringComparison.Ordinal);
    }

    /// <summary>file name → "hash,quality" from the reference's output.</summary>
    private static Dictionary<string, string> ExpectedPhotos() =>
        File.ReadLines(TestPaths.PdqFile("photos/expected.csv")).Skip(1)
            .Select(line => line.Split(','))
            .ToDictionary(c => Path.GetFileName(c[2]), c => $"{c[0]},{c[1]}");

    /// <summary>A PNG signature and a valid IHDR claiming the given size, followed by a tiny IDAT and IEND.</summary>
    private static byte[] PngHeaderClaiming(int width, int height)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 6; // RGBA
        WriteChunk(stream, "IHDR", ihdr);
        WriteChunk(stream, "IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
        WriteChunk(stream, "IEND", []);
        return stream.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        stream.Write(word);
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(data);
        var crc = Crc32(typeBytes.Concat(data).ToArray());
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        stream.Write(word);
    }

    private static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
