using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class VicsFormatTests
{
    [Fact]
    public void Vics_1_3_imports_each_hash_field_as_an_entry_sharing_the_MediaID()
    {
        var entries = ReadFile("vics-1.3.json", formatName: "vics").List.Entries;
        Assert.Equal(4, entries.Count); // 1001: MD5, SHA1, PhotoDNA; 1002: MD5 (empty SHA1 and null PhotoDNA are absent)
        var media = entries.Where(static e => e.Label == "1001").ToArray();
        Assert.Equal([SignalTypes.Md5, SignalTypes.Sha1, SignalTypes.PhotoDna], media.Select(static e => e.SignalType));
        Assert.Equal(Md5A, media[0].Value);
        Assert.Equal("1", media[0].Category);
        Assert.Equal("Test series A", media[0].Metadata["Series"]);
        Assert.Equal("true", media[0].Metadata["VictimIdentified"]);
        Assert.Equal("""["test", "benign"]""", media[0].Metadata["Tags"]);
    }

    [Fact]
    public void Vics_2_0_with_hashes_array_imports_each_hash()
    {
        var entries = ReadFile("vics-2.0.json", formatName: "vics").List.Entries;
        var media = entries.Where(static e => e.Label == "2001").ToArray();
        Assert.Equal([SignalTypes.Md5, SignalTypes.Sha1, SignalTypes.PhotoDna, SignalTypes.Pdq], media.Select(static e => e.SignalType));
        Assert.Equal(Md5C, media[0].Value);
        Assert.Equal(PhotoDnaB, media[2].Value);
        Assert.Equal(Pdq4, media[3].Value);
        Assert.Equal("2", media[0].Category);

        // The same MD5 at top level and in Hashes is one entry.
        Assert.Single(entries, static e => e.Label == "2002");
    }

    [Fact]
    public void Vics_malformed_media_reports_record_and_field()
    {
        var text = """
            {"@odata.context":"x/$metadata#Media","value":[
              {"MediaID":1,"Category":1,"MD5":"e32684b27b95e909348334896a68f812"},
              {"MediaID":2,"Category":"high","MD5":"e32684b27b95e909348334896a68f8"},
              {"MediaID":3,"Hashes":[{"HashName":"SHA1","HashValue":"xyz"}]},
              {"MediaID":4}
            ]}
            """;
        var error = ReadFails("vics", text);
        Assert.Contains(error.Errors, static e => e.Record == 2 && e.Field == "Category");
        Assert.Contains(error.Errors, static e => e.Record == 2 && e.Field == "MD5");
        Assert.Contains(error.Errors, static e => e.Record == 3 && e.Field!.StartsWith("Hashes[1]", StringComparison.Ordinal));
        Assert.Contains(error.Errors, static e => e.Record == 4 && e.Field == "Hashes");

        var result = Read("vics", text, new ImportOptions { SkipInvalid = true });
        Assert.Equal("1", Assert.Single(result.List.Entries).Label);
        Assert.Equal([2, 3, 4], result.Errors.Select(static e => e.Record).Distinct());
    }

    [Fact]
    public void Vics_broken_json_fails_cleanly_even_with_SkipInvalid()
    {
        var error = Assert.Throws<HashListFormatException>(() =>
            Read("vics", """{"value":[{"MediaID":1,"MD5":"e32684b27b95e909348334896a68f812"},{"MediaID":""", new ImportOptions { SkipInvalid = true }));
        Assert.Contains("JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Vics_round_trip_writes_2_0_and_reads_back_the_same_entries()
    {
        var original = ReadFile("vics-2.0.json", formatName: "vics").List;
        var written = Write(HashListFormats.Default.Get("vics"), original);
        Assert.Contains("@odata.context", written, StringComparison.Ordinal);
        Assert.Contains("\"Hashes\"", written, StringComparison.Ordinal);
        AssertSameEntries(original.Entries, Read("vics", written).List.Entries);
    }

    [Fact]
    public void Vics_1_3_export_round_trips_and_refuses_pdq()
    {
        var original = ReadFile("vics-1.3.json", formatName: "vics").List;
        var format = new VicsHashListFormat(VicsVersion.V1_3);
        var written = Write(format, original);
        Assert.Contains("odata.metadata", written, StringComparison.Ordinal);
        AssertSameEntries(original.Entries, Read("vics", written).List.Entries);

        original.Add(new HashListEntry(SignalTypes.Pdq, Pdq1) { Label = "9" });
        Assert.Throws<NotSupportedException>(() => Write(format, original));
    }

    [Fact]
    public void Vics_large_list_streams_through_a_small_record_buffer()
    {
        // 20,000 Media (~1.5 MB) read with a 64 KiB record cap: the reader must not need the whole file at once.
        var builder = new System.Text.StringBuilder("""{"@odata.context":"x/$metadata#Media","value":[""");
        for (var i = 0; i < 20_000; i++)
        {
            builder.Append(i == 0 ? "" : ",").Append("{\"MediaID\":").Append(i).Append(",\"Category\":1,\"MD5\":\"").Append(i.ToString("x32", System.Globalization.CultureInfo.InvariantCulture)).Append("\"}");
        }

        builder.Append("]}");
        var result = Read("vics", builder.ToString(), new ImportOptions { MaxRecordBytes = 64 * 1024 });
        Assert.Equal(20_000, result.List.Count);
    }
}
