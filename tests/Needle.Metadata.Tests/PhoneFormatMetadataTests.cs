using Needle.Testing;
using Needle.Testing.Metadata;

namespace Needle.Metadata.Tests;

/// <summary>MetadataExtractor reads the EXIF of the formats phones and scanners write: HEIC (its Exif item) and TIFF (its own directories).</summary>
public sealed class PhoneFormatMetadataTests
{
    [Fact]
    public void Gps_camera_and_capture_time_are_read_from_a_heic()
    {
        var heic = File.ReadAllBytes(Path.Combine(TestPaths.RepositoryRoot, "testdata", "formats", "lyon_gps.heic"));

        var metadata = PhotoMetadataReader.Read(heic);

        Assert.Null(metadata.MetadataError);
        var gps = Assert.IsType<GpsFix>(metadata.Gps);
        Assert.Equal(45.7640, gps.Latitude, 4);
        Assert.Equal(4.8357, gps.Longitude, 4);
        Assert.Equal(173.5, gps.AltitudeMetres!.Value, 1);
        Assert.Equal(("Apple", "iPhone 15"), (metadata.CameraMake, metadata.CameraModel));
        Assert.NotNull(metadata.Captured);
    }

    [Fact]
    public void Gps_and_camera_are_read_from_a_tiff()
    {
        // The EXIF block of a JPEG is a TIFF structure: without its APP1 marker, length and "Exif\0\0" it is a TIFF file.
        var segment = JpegMetadataWriter.ExifSegment(new ExifSpec { Make = "Nikon", Model = "Coolscan", Gps = (-33.8688, 151.2093) });
        var tiff = segment.AsSpan(10).ToArray();
        Assert.True(tiff.AsSpan().StartsWith("II*\0"u8) || tiff.AsSpan().StartsWith("MM\0*"u8));

        var metadata = PhotoMetadataReader.Read(tiff);

        Assert.Null(metadata.MetadataError);
        Assert.Equal(-33.8688, metadata.Gps!.Latitude, 4);
        Assert.Equal(151.2093, metadata.Gps.Longitude, 4);
        Assert.Equal(("Nikon", "Coolscan"), (metadata.CameraMake, metadata.CameraModel));
    }
}
