using System.Globalization;
using System.IO.Compression;
using System.Text;
using Needle.Matching.Compiled;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Matching.Tests;

/// <summary>
/// Gzip-compressed list files (<c>.csv.gz</c>, <c>.jsonl.gz</c>) read as their plain selves, by the format readers
/// (<c>scan --against</c>) and the compiler (<c>list compile</c>), and the decompressed-size cap.
/// </summary>
public sealed class GzipListFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-gz-" + Guid.NewGuid().ToString("N"));

    public GzipListFileTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Gzip(string path)
    {
        var target = Path.Combine(_directory, Path.GetFileName(path) + ".gz");
        using var input = File.OpenRead(path);
        using var output = File.Create(target);
        using var gzip = new GZipStream(output, CompressionLevel.Fastest);
        input.CopyTo(gzip);
        return target;
    }

    private string Compile(string path, string? format)
    {
        var output = Path.Combine(_directory, Path.GetFileName(path) + ".ndl");
        using var builder = new CompiledListBuilder(_directory);
        // Named as the plain file (the CSV's source column is the file name), so only the bytes read differ.
        Assert.NotNull(builder.TryAddFile(path, new ImportOptions { ListName = "list", FileName = Path.GetFileName(path).Replace(".gz", "", StringComparison.Ordinal) }, format));
        builder.Write(output);
        return output;
    }

    [Theory]
    [InlineData("csv")]
    [InlineData(null)]
    public void A_gzip_csv_list_reads_and_compiles_as_the_plain_one(string? format)
    {
        var random = new Random(5);
        var text = new StringBuilder();
        for (var i = 0; i < 3_000; i++)
        {
            var bytes = new byte[32];
            random.NextBytes(bytes);
            text.Append(Convert.ToHexStringLower(bytes)).Append(",100,photo-").Append(i.ToString(CultureInfo.InvariantCulture)).Append(".jpg\n");
        }

        var plain = Path.Combine(_directory, "list.csv");
        File.WriteAllText(plain, text.ToString());
        var compressed = Gzip(plain);

        var expected = HashListFormats.Default.ReadFile(plain, new ImportOptions { ListName = "list" }, format);
        var actual = HashListFormats.Default.ReadFile(compressed, new ImportOptions { ListName = "list" }, format);
        Assert.Equal(3_000, actual.List.Count);
        Assert.Equal(expected.List.Entries.Select(e => (e.Value, e.Label)), actual.List.Entries.Select(e => (e.Value, e.Label)));
        Assert.Equal(File.ReadAllBytes(Compile(plain, format)), File.ReadAllBytes(Compile(compressed, format)));
    }

    [Fact]
    public void A_gzip_native_list_compiles_as_the_plain_one()
    {
        var random = new Random(6);
        var list = new HashList("native");
        for (var i = 0; i < 2_000; i++)
        {
            var bytes = new byte[16];
            random.NextBytes(bytes);
            list.Add(new HashListEntry(SignalTypes.Md5, Convert.ToHexStringLower(bytes)) { Label = "m" + i.ToString(CultureInfo.InvariantCulture) });
        }

        var plain = Path.Combine(_directory, "list.jsonl");
        HashListFormats.Default.WriteFile(list, plain, "needle");
        Assert.Equal(File.ReadAllBytes(Compile(plain, null)), File.ReadAllBytes(Compile(Gzip(plain), null)));
    }

    [Fact]
    public void A_decompressed_list_over_the_cap_fails_naming_the_limit()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(new byte[1 << 20]);
        }

        buffer.Position = 0;
        using var stream = CompressedListFile.Open(buffer, gzip: false, maxDecompressedBytes: 1000, "bomb.gz");
        var error = Assert.Throws<InvalidDataException>(() => stream.CopyTo(Stream.Null));
        Assert.Contains("bomb.gz is larger than 1000 bytes once decompressed", error.Message, StringComparison.Ordinal);
    }
}
