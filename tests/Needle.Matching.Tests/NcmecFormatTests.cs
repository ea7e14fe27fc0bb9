using Needle.Matching.Formats;
using Needle.Matching.Lists;
using static Needle.Matching.Tests.TestData;

namespace Needle.Matching.Tests;

public sealed class NcmecFormatTests
{
    [Fact]
    public void Ncmec_images_and_videos_import_each_fingerprint()
    {
        var entries = ReadFile("ncmec.xml", formatName: "ncmec").List.Entries;
        var image = entries.Where(static e => e.Label == "N-100").ToArray();
        Assert.Equal([SignalTypes.Md5, SignalTypes.Sha1, SignalTypes.PhotoDna, SignalTypes.Pdq], image.Select(static e => e.SignalType));
        Assert.Equal(PhotoDnaA, image[2].Value);
        Assert.Equal("A1", image[0].Category);
        Assert.Equal("image", image[0].Metadata["mediaType"]);
        var video = Assert.Single(entries, static e => e.Label == "N-200");
        Assert.Equal((Md5B, "B1", "video"), (video.Value, video.Category, video.Metadata["mediaType"]));
    }

    [Fact]
    public void Ncmec_malformed_items_report_record_number_and_SkipInvalid_keeps_good_ones()
    {
        var xml = $"""
            <hashList>
              <image id="1"><fingerprints><md5>{Md5A}</md5></fingerprints></image>
              <image id="2"><fingerprints><md5>zz</md5></fingerprints></image>
              <image id="3"><fingerprints/></image>
            </hashList>
            """;
        var error = ReadFails("ncmec", xml);
        Assert.Equal([(2, "md5"), (3, "fingerprints")], error.Errors.Select(static e => (e.Record, e.Field)));
        var result = Read("ncmec", xml, new ImportOptions { SkipInvalid = true });
        Assert.Equal("1", Assert.Single(result.List.Entries).Label);
    }

    [Fact]
    public void Ncmec_round_trip_gives_the_same_entries()
    {
        var original = ReadFile("ncmec.xml", formatName: "ncmec").List;
        original.Add(new HashListEntry(SignalTypes.Md5, Md5C) { Label = "N-300", Metadata = new Dictionary<string, string> { ["mediaType"] = "image", ["odd key"] = "v", ["note"] = "<&>" } });
        var written = Write(HashListFormats.Default.Get("ncmec"), original);
        AssertSameEntries(original.Entries, Read("ncmec", written).List.Entries);
    }

    [Fact]
    public void Ncmec_xml_bomb_with_a_dtd_fails_cleanly()
    {
        var bomb = """
            <?xml version="1.0"?>
            <!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
            <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
            <hashList><image id="&lol3;"><fingerprints><md5>e32684b27b95e909348334896a68f812</md5></fingerprints></image></hashList>
            """;
        var error = Assert.Throws<HashListFormatException>(() => Read("ncmec", bomb, new ImportOptions { SkipInvalid = true }));
        Assert.Contains("DTD", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Ncmec_external_entity_is_never_resolved()
    {
        var xxe = """
            <?xml version="1.0"?>
            <!DOCTYPE x [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
            <hashList><image id="&secret;"><fingerprints><md5>e32684b27b95e909348334896a68f812</md5></fingerprints></image></hashList>
            """;
        Assert.Throws<HashListFormatException>(() => Read("ncmec", xxe));
    }

    [Fact]
    public void Ncmec_broken_xml_fails_cleanly() =>
        Assert.Throws<HashListFormatException>(() => Read("ncmec", "<hashList><image id=\"1\"><fingerprints>"));
}
