using Needle.Testing.Images;
using Needle.Testing.Metadata;

namespace Needle.Metadata.Tests;

public sealed class PhotoMetadataReaderTests
{
    private static readonly DateTime GpsTime = new(2024, 5, 1, 12, 3, 22, DateTimeKind.Utc);

    private static ExifSpec FullSpec(byte[]? thumbnail = null) => new()
    {
        Make = "Canon",
        Model = "Canon EOS 5D Mark IV",
        Software = "Firmware Version 1.0.4",
        Artist = "Jane Photographer",
        Copyright = "(c) Jane Photographer 2024",
        DateTimeOriginal = "2024:05:01 14:03:22",
        OffsetTimeOriginal = "+02:00",
        BodySerialNumber = "032021001234",
        LensModel = "EF24-70mm f/2.8L II USM",
        LensSerialNumber = "0000a1b2c3",
        CameraOwnerName = "J. Photographer",
        ImageUniqueId = "f3a1c2d4e5f60718293a4b5c6d7e8f90",
        Gps = (45.7640, 4.8357),
        AltitudeMetres = 173.5,
        GpsTime = GpsTime,
        Thumbnail = thumbnail,
    };

    [Fact]
    public void Every_clue_is_read_from_a_camera_jpeg()
    {
        var thumbnail = TestJpegs.Photo("p01_keong_macan.png", 160, 120);
        var jpeg = JpegMetadataWriter.Splice(TestJpegs.Photo("p01_keong_macan.png", 640, 480), JpegMetadataWriter.ExifSegment(FullSpec(thumbnail)));

        var metadata = PhotoMetadataReader.Read(jpeg);

        Assert.Null(metadata.MetadataError);
        Assert.True(metadata.HasClues);
        Assert.NotNull(metadata.Gps);
        Assert.Equal(45.7640, metadata.Gps.Latitude, 6);
        Assert.Equal(4.8357, metadata.Gps.Longitude, 6);
        Assert.Equal(173.5, metadata.Gps.AltitudeMetres);
        Assert.Equal(GpsTime, metadata.Gps.TimestampUtc);
        Assert.Equal(new CaptureTime(new DateTime(2024, 5, 1, 14, 3, 22), TimeSpan.FromHours(2)), metadata.Captured);
        Assert.Equal("2024-05-01T14:03:22+02:00", metadata.Captured?.ToString());
        Assert.Equal("Canon", metadata.CameraMake);
        Assert.Equal("Canon EOS 5D Mark IV", metadata.CameraModel);
        Assert.Equal("032021001234", metadata.BodySerialNumber);
        Assert.Equal("EF24-70mm f/2.8L II USM", metadata.LensModel);
        Assert.Equal("0000a1b2c3", metadata.LensSerialNumber);
        Assert.Equal("Firmware Version 1.0.4", metadata.Software);
        Assert.Equal("f3a1c2d4e5f60718293a4b5c6d7e8f90", metadata.ImageUniqueId);
        Assert.Equal(
            [new("exif:artist", "Jane Photographer"), new("exif:owner", "J. Photographer"), new MetadataName("exif:copyright", "(c) Jane Photographer 2024")],
            metadata.Names);
        Assert.NotNull(metadata.Thumbnail);
        Assert.Equal(thumbnail, metadata.Thumbnail.Jpeg.ToArray());
    }

    [Fact]
    public void South_and_west_are_negative_and_below_sea_level_is_negative()
    {
        var spec = new ExifSpec { Gps = (-33.8568, -70.6483), AltitudeMetres = -12 };
        var metadata = PhotoMetadataReader.Read(JpegMetadataWriter.Splice(TestJpegs.Photo("p04_flowers.png", 64, 64), JpegMetadataWriter.ExifSegment(spec)));
        Assert.NotNull(metadata.Gps);
        Assert.Equal(-33.8568, metadata.Gps.Latitude, 6);
        Assert.Equal(-70.6483, metadata.Gps.Longitude, 6);
        Assert.Equal(-12, metadata.Gps.AltitudeMetres);
        Assert.Null(metadata.Gps.TimestampUtc);
    }

    [Fact]
    public void A_capture_time_without_offset_has_none()
    {
        var spec = new ExifSpec { DateTimeOriginal = "2023:12:31 23:59:58" };
        var metadata = PhotoMetadataReader.Read(JpegMetadataWriter.Splice(TestJpegs.Photo("p04_flowers.png", 64, 64), JpegMetadataWriter.ExifSegment(spec)));
        Assert.Equal(new CaptureTime(new DateTime(2023, 12, 31, 23, 59, 58), null), metadata.Captured);
        Assert.Equal("2023-12-31T23:59:58", metadata.Captured?.ToString());
        Assert.Null(metadata.Gps);
        Assert.Null(metadata.Thumbnail);
    }

    [Fact]
    public void Negative_offsets_are_read()
    {
        var spec = new ExifSpec { DateTimeOriginal = "2023:07:04 09:00:00", OffsetTimeOriginal = "-05:00" };
        var metadata = PhotoMetadataReader.Read(JpegMetadataWriter.Splice(TestJpegs.Photo("p04_flowers.png", 64, 64), JpegMetadataWriter.ExifSegment(spec)));
        Assert.Equal(TimeSpan.FromHours(-5), metadata.Captured?.Offset);
    }

    [Fact]
    public void Xmp_creators_and_the_iptc_by_line_are_names()
    {
        var jpeg = JpegMetadataWriter.Splice(TestJpegs.Photo("p04_flowers.png", 64, 64),
            JpegMetadataWriter.XmpSegment("Ana Creator", "Bo Second"),
            JpegMetadataWriter.IptcSegment("Cy Byline"));
        var metadata = PhotoMetadataReader.Read(jpeg);
        Assert.Null(metadata.MetadataError);
        Assert.Equal(
            [new("xmp:creator", "Ana Creator"), new("xmp:creator", "Bo Second"), new MetadataName("iptc:by-line", "Cy Byline")],
            metadata.Names);
    }

    [Fact]
    public void A_jpeg_without_metadata_has_no_clues_and_no_error()
    {
        var metadata = PhotoMetadataReader.Read(TestJpegs.Photo("p04_flowers.png", 64, 64));
        Assert.False(metadata.HasClues);
        Assert.Null(metadata.MetadataError);
    }

    [Fact]
    public void Something_that_is_not_an_image_has_no_metadata_and_no_exception()
    {
        var metadata = PhotoMetadataReader.Read("just some text, not a picture"u8.ToArray());
        Assert.False(metadata.HasClues);
    }

    [Fact]
    public void The_stream_overload_reads_the_same()
    {
        var jpeg = JpegMetadataWriter.Splice(TestJpegs.Photo("p04_flowers.png", 64, 64), JpegMetadataWriter.ExifSegment(FullSpec()));
        using var stream = new MemoryStream(jpeg);
        var fromStream = PhotoMetadataReader.Read(stream);
        var fromMemory = PhotoMetadataReader.Read(jpeg);
        Assert.Equal(fromMemory.Gps, fromStream.Gps);
        Assert.Equal(fromMemory.Names, fromStream.Names);
        Assert.Equal(fromMemory.BodySerialNumber, fromStream.BodySerialNumber);
    }

    public static TheoryData<string> Garbles => ["ifd0-offset-past-end", "truncated-ifd", "entry-count-huge", "random-tiff"];

    [Theory]
    [MemberData(nameof(Garbles))]
    public void Garbled_exif_is_reported_not_thrown(string garble)
    {
        var jpeg = JpegMetadataWriter.Splice(TestJpegs.Photo("p04_flowers.png", 64, 64), JpegMetadataWriter.GarbledExifSegment(garble));
        var metadata = PhotoMetadataReader.Read(jpeg);
        Assert.NotNull(metadata.MetadataError);
        Assert.NotEmpty(metadata.MetadataError);
    }

    [Fact]
    public void Random_damage_to_the_exif_never_throws()
    {
        var thumbnail = TestJpegs.Photo("p01_keong_macan.png", 160, 120);
        var exif = JpegMetadataWriter.ExifSegment(FullSpec(thumbnail));
        var image = TestJpegs.Photo("p04_flowers.png", 64, 64);
        var random = new Random(12345);
        for (var trial = 0; trial < 300; trial++)
        {
            var damaged = (byte[])exif.Clone();
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                damaged[random.Next(10, damaged.Length)] = (byte)random.Next(256); // keep the marker, length and "Exif"
            }

            _ = PhotoMetadataReader.Read(JpegMetadataWriter.Splice(image, damaged));
        }
    }
}
