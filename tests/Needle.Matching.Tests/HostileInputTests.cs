using Needle.Matching.Formats;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class HostileInputTests
{
    [Fact]
    public void Huge_line_is_an_invalid_record_not_an_out_of_memory()
    {
        var text = $"{Pdq1}\n{new string('a', 5000)}\n{Pdq2}\n";
        var options = new ImportOptions { MaxLineLength = 1000 };
        var error = Assert.Throws<HashListFormatException>(() => Read("text", text, options));
        Assert.Equal(2, error.Errors[0].Record);
        Assert.Equal(2, Read("text", text, options with { SkipInvalid = true }).List.Count);
    }

    [Fact]
    public void Invalid_utf8_fails_cleanly()
    {
        var bytes = "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e\n"u8.ToArray().Concat(new byte[] { 0xC3, 0x28, 0xFF, (byte)'\n' }).ToArray();
        var error = Assert.Throws<HashListFormatException>(() => HashListFormats.Default.Get("text").Read(new MemoryStream(bytes), new ImportOptions { SkipInvalid = true }));
        Assert.Contains("UTF-8", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf16_without_bom_is_refused_as_binary()
    {
        var bytes = System.Text.Encoding.Unicode.GetBytes(Pdq1 + "\n");
        var error = Assert.Throws<HashListFormatException>(() => HashListFormats.Default.Get("csv").Read(new MemoryStream(bytes), new ImportOptions()));
        Assert.Contains("NUL", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Utf16_with_bom_is_read()
    {
        var bytes = System.Text.Encoding.Unicode.GetPreamble().Concat(System.Text.Encoding.Unicode.GetBytes(Pdq1 + "\r\n")).ToArray();
        Assert.Equal(1, HashListFormats.Default.Get("text").Read(new MemoryStream(bytes), new ImportOptions()).List.Count);
    }

    [Fact]
    public void Deeply_nested_json_fails_cleanly_in_vics_and_stopncii()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var vics = "{\"value\":[{\"MediaID\":1,\"Tags\":" + deep + "}]}";
        Assert.Throws<HashListFormatException>(() => Read("vics", vics, new ImportOptions { SkipInvalid = true }));
        Assert.Throws<HashListFormatException>(() => Read("stopncii", "[" + deep + "]", new ImportOptions { SkipInvalid = true }));
        var lines = Read("stopncii", "{\"signalType\":\"md5\",\"hashValue\":\"" + Md5A + "\",\"x\":" + deep + "}\n", new ImportOptions { SkipInvalid = true });
        Assert.Equal(1, Assert.Single(lines.Errors).Record);
    }

    [Fact]
    public void Oversized_json_record_fails_cleanly()
    {
        var huge = "{\"value\":[{\"MediaID\":1,\"Comments\":\"" + new string('x', 200_000) + "\"}]}";
        var error = Assert.Throws<HashListFormatException>(() => Read("vics", huge, new ImportOptions { MaxRecordBytes = 100_000 }));
        Assert.Contains("larger than", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Error_message_lists_only_the_first_errors_and_the_total()
    {
        var text = string.Join('\n', Enumerable.Range(0, 50).Select(static i => "bad" + i));
        var error = Assert.Throws<HashListFormatException>(() => Read("text", text, new ImportOptions { FileName = "big.txt", MaxErrorsInMessage = 3 }));
        Assert.Equal(50, error.ErrorCount);
        Assert.Equal(3, error.Errors.Count);
        Assert.Contains("and 47 more", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("big.txt", error.Message, StringComparison.Ordinal);
    }
}
