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

    // An entries response of NCMEC's hash-sharing API v2, in the shape its documentation and python-threatexchange's
    // NCMEC client describe: sections with maxTimestamp, items keyed by member, tombstones, paging.
    private const string EntriesResponse = $"""
        <?xml version="1.0" encoding="UTF-8"?>
        <queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
          <images count="3" maxTimestamp="2024-03-01T10:00:00Z">
            <image>
              <id>image1</id>
              <classification>A1</classification>
              <member id="42">Example Hotline</member>
              <timestamp>2024-03-01T09:00:00Z</timestamp>
              <fingerprints>
                <md5>{Md5A}</md5>
                <sha1>{Sha1A}</sha1>
                <pdna>AAAA</pdna>
              </fingerprints>
            </image>
            <image>
              <id>image1</id>
              <classification>B1</classification>
              <member id="43">Other Member</member>
              <fingerprints><md5>{Md5B}</md5></fingerprints>
            </image>
            <deletedImage>
              <id>image7</id>
              <member id="42">Example Hotline</member>
              <timestamp>2024-03-01T09:30:00Z</timestamp>
            </deletedImage>
          </images>
          <videos count="1" maxTimestamp="2024-03-02T11:00:00Z">
            <deletedVideo><id>video3</id><member id="43">Other Member</member></deletedVideo>
          </videos>
          <paging>
            <next>/v2/entries?from=2024-03-01T00:00:00Z&amp;to=2024-03-03T00:00:00Z&amp;start=1001&amp;size=1000&amp;max=2500</next>
          </paging>
        </queryResult>
        """;

    [Fact]
    public void Ncmec_entries_response_keys_by_member_keeps_valid_fingerprints_and_reads_tombstones_and_paging()
    {
        var result = Read("ncmec", EntriesResponse, new ImportOptions { SkipInvalid = true });
        var entries = result.List.Entries;

        // The truncated pdna is an error of its own; the item's md5 and sha1 stay.
        Assert.Equal([("42-image1", Md5A), ("42-image1", Sha1A), ("43-image1", Md5B)], entries.Select(static e => (e.Label!, e.Value)));
        Assert.Equal(("42", "Example Hotline", "A1"), (entries[0].Metadata["memberId"], entries[0].Metadata["member"], entries[0].Category));
        Assert.Equal("pdna", Assert.Single(result.Errors).Field);
        Assert.Equal(["42-image7", "43-video3"], result.Tombstones.Select(static t => t.Label));
        Assert.Equal("/v2/entries?from=2024-03-01T00:00:00Z&to=2024-03-03T00:00:00Z&start=1001&size=1000&max=2500", result.Feed?.NextPage);
        Assert.True(result.Feed!.HasMore);
        Assert.Equal(new DateTimeOffset(2024, 3, 2, 11, 0, 0, TimeSpan.Zero), result.Feed.MaxTimestamp);
    }

    [Fact]
    public void Ncmec_a_bad_fingerprint_fails_a_strict_import_naming_it()
    {
        var error = ReadFails("ncmec", EntriesResponse);
        Assert.Equal("pdna", Assert.Single(error.Errors).Field);
    }

    [Fact]
    public void Ncmec_member_keyed_items_round_trip()
    {
        var original = Read("ncmec", EntriesResponse, new ImportOptions { SkipInvalid = true }).List;
        var written = Write(HashListFormats.Default.Get("ncmec"), original);
        Assert.Contains("<member id=\"42\">Example Hotline</member>", written, StringComparison.Ordinal);
        AssertSameEntries(original.Entries, Read("ncmec", written).List.Entries);
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
