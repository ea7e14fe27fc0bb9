using Needle.Matching.Formats;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class DetectionTests
{
    [Theory]
    [InlineData("needle-hash.csv", "csv")]
    [InlineData("hashes.txt", "text")]
    [InlineData("vics-1.3.json", "vics")]
    [InlineData("vics-2.0.json", "vics")]
    [InlineData("icse.csv", "icse")]
    [InlineData("ncmec.xml", "ncmec")]
    [InlineData("stopncii.json", "stopncii")]
    [InlineData("stopncii.jsonl", "stopncii")]
    [InlineData("list.needle.jsonl", "needle")]
    public void Each_sample_file_is_detected_and_imported_without_naming_its_format(string file, string expected)
    {
        var head = File.ReadAllBytes(DataPath(file));
        Assert.Equal(expected, HashListFormats.Default.Detect(head, file)?.Name);
        var result = ReadFile(file);
        Assert.Equal(expected, result.FormatName);
        Assert.True(result.List.Count > 0);
    }

    [Fact]
    public void Unknown_content_is_not_guessed()
    {
        Assert.Null(HashListFormats.Default.Detect("hello world\nthis is not a list\n"u8, "notes.txt"));
        var error = Assert.Throws<HashListFormatException>(() => HashListFormats.Default.Read(Utf8("hello\n"), new ImportOptions { FileName = "notes.txt" }));
        Assert.Contains("notes.txt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Formats_can_be_forced_by_name_including_vics_1_3()
    {
        Assert.Equal("icse", HashListFormats.Default.Get("ICSE").Name);
        Assert.Equal(VicsVersion.V1_3, Assert.IsType<VicsHashListFormat>(HashListFormats.Default.Get("vics-1.3")).WriteVersion);
        Assert.Throws<ArgumentException>(() => HashListFormats.Default.Get("xlsx"));
    }
}
