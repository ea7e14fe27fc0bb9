using System.Buffers.Binary;
using System.Text;

namespace Needle.Testing.Metadata;

/// <summary>
/// Writes EXIF (a little-endian TIFF structure with IFD0, Exif IFD, GPS IFD and IFD1), XMP and IPTC segments by hand and
/// splices them into a JPEG right after its SOI marker: real files for the tests without exiftool.
/// </summary>
public static class JpegMetadataWriter
{
    private const ushort Byte = 1, Ascii = 2, Short = 3, Long = 4, Rational = 5;

    /// <summary>The APP1 "Exif" segment (marker and length included).</summary>
    public static byte[] ExifSegment(ExifSpec spec)
    {
        var ifd0 = new Ifd();
        ifd0.AddAscii(0x010F, spec.Make);
        ifd0.AddAscii(0x0110, spec.Model);
        ifd0.AddAscii(0x0131, spec.Software);
        ifd0.AddAscii(0x013B, spec.Artist);
        ifd0.AddAscii(0x8298, spec.Copyright);

        var exif = new Ifd();
        exif.AddAscii(0x9003, spec.DateTimeOriginal);
        exif.AddAscii(0x9011, spec.OffsetTimeOriginal);
        exif.AddAscii(0xA420, spec.ImageUniqueId);
        exif.AddAscii(0xA430, spec.CameraOwnerName);
        exif.AddAscii(0xA431, spec.BodySerialNumber);
        exif.AddAscii(0xA434, spec.LensModel);
        exif.AddAscii(0xA435, spec.LensSerialNumber);

        Ifd? gps = null;
        if (spec.Gps is { } position)
        {
            gps = new Ifd();
            gps.Add(0x0000, Byte, 4, [2, 3, 0, 0]);
            gps.AddAscii(0x0001, position.Latitude < 0 ? "S" : "N");
            gps.Add(0x0002, Rational, 3, Dms(Math.Abs(position.Latitude)));
            gps.AddAscii(0x0003, position.Longitude < 0 ? "W" : "E");
            gps.Add(0x0004, Rational, 3, Dms(Math.Abs(position.Longitude)));
            if (spec.AltitudeMetres is { } altitude)
            {
                gps.Add(0x0005, Byte, 1, [(byte)(altitude < 0 ? 1 : 0)]);
                gps.Add(0x0006, Rational, 1, Rationals(((uint)Math.Round(Math.Abs(altitude) * 10), 10)));
            }

            if (spec.GpsTime is { } time)
            {
                gps.Add(0x0007, Rational, 3, Rationals(((uint)time.Hour, 1), ((uint)time.Minute, 1), ((uint)time.Second, 1)));
                gps.AddAscii(0x001D, time.ToString("yyyy:MM:dd", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        Ifd? ifd1 = null;
        if (spec.Thumbnail is not null)
        {
            ifd1 = new Ifd();
            ifd1.Add(0x0103, Short, 1, [6, 0, 0, 0]); // compression: JPEG
            ifd1.Add(0x0201, Long, 1, new byte[4]); // offset, patched below
            ifd1.Add(0x0202, Long, 1, LittleEndian((uint)spec.Thumbnail.Length));
        }

        // Pointers are fixed-size LONGs, so every size is known before any offset is.
        if (exif.Count > 0)
        {
            ifd0.Add(0x8769, Long, 1, new byte[4]);
        }

        if (gps is not null)
        {
            ifd0.Add(0x8825, Long, 1, new byte[4]);
        }

        var offset = 8;
        var ifd0Offset = offset;
        offset += ifd0.Size;
        var exifOffset = offset;
        offset += exif.Count > 0 ? exif.Size : 0;
        var gpsOffset = offset;
        offset += gps?.Size ?? 0;
        var ifd1Offset = offset;
        offset += ifd1?.Size ?? 0;
        var thumbnailOffset = offset;
        offset += spec.Thumbnail?.Length ?? 0;

        ifd0.Set(0x8769, LittleEndian((uint)exifOffset));
        ifd0.Set(0x8825, LittleEndian((uint)gpsOffset));
        ifd1?.Set(0x0201, LittleEndian((uint)thumbnailOffset));

        var tiff = new byte[offset];
        "II"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(2), 42);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), (uint)ifd0Offset);
        ifd0.Write(tiff, ifd0Offset, ifd1 is null ? 0u : (uint)ifd1Offset);
        if (exif.Count > 0)
        {
            exif.Write(tiff, exifOffset, 0);
        }

        gps?.Write(tiff, gpsOffset, 0);
        ifd1?.Write(tiff, ifd1Offset, 0);
        spec.Thumbnail?.CopyTo(tiff, thumbnailOffset);
        return Segment(0xE1, [.. "Exif\0\0"u8, .. tiff]);
    }

    /// <summary>An APP1 "Exif" segment whose TIFF structure is broken in the named way.</summary>
    public static byte[] GarbledExifSegment(string garble)
    {
        var good = ExifSegment(new ExifSpec { Make = "Acme", Model = "One", DateTimeOriginal = "2024:01:02 03:04:05", Gps = (10.5, 20.25) });
        var tiff = good.AsSpan(10).ToArray(); // after FF E1, length and "Exif\0\0"
        byte[] broken = garble switch
        {
            "ifd0-offset-past-end" => [.. tiff.AsSpan(0, 4), 0xF0, 0xFF, 0x00, 0x00, .. tiff.AsSpan(8)],
            "truncated-ifd" => tiff.AsSpan(0, 30).ToArray(),
            "entry-count-huge" => [.. tiff.AsSpan(0, 8), 0xFF, 0x7F, .. tiff.AsSpan(10)],
            "random-tiff" => [(byte)'I', (byte)'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, .. Enumerable.Range(0, 200).Select(i => (byte)((i * 73) ^ 0x5A))],
            _ => throw new ArgumentOutOfRangeException(nameof(garble)),
        };
        byte[] payload = [.. "Exif\0\0"u8, .. broken];
        return [0xFF, 0xE1, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];
    }

    /// <summary>An APP1 XMP segment with dc:creator names.</summary>
    public static byte[] XmpSegment(params string[] creators)
    {
        var items = string.Concat(creators.Select(c => $"<rdf:li>{System.Security.SecurityElement.Escape(c)}</rdf:li>"));
        var packet = "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"
            + "<rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
            + $"<dc:creator><rdf:Seq>{items}</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";
        return Segment(0xE1, [.. "http://ns.adobe.com/xap/1.0/\0"u8, .. Encoding.UTF8.GetBytes(packet)]);
    }

    /// <summary>An APP13 Photoshop segment holding an IPTC By-line (2:80).</summary>
    public static byte[] IptcSegment(string byLine)
    {
        var text = Encoding.UTF8.GetBytes(byLine);
        byte[] iptc = [0x1C, 0x02, 0x50, (byte)(text.Length >> 8), (byte)text.Length, .. text];
        var resource = new List<byte>();
        resource.AddRange("8BIM"u8.ToArray());
        resource.AddRange([0x04, 0x04, 0x00, 0x00]); // resource 0x0404 (IPTC), empty Pascal name padded to even
        resource.AddRange([(byte)(iptc.Length >> 24), (byte)(iptc.Length >> 16), (byte)(iptc.Length >> 8), (byte)iptc.Length]);
        resource.AddRange(iptc);
        if (iptc.Length % 2 == 1)
        {
            resource.Add(0);
        }

        return Segment(0xED, [.. "Photoshop 3.0\0"u8, .. resource]);
    }

    /// <summary>Inserts <paramref name="segments"/> right after the JPEG's SOI marker.</summary>
    public static byte[] Splice(byte[] jpeg, params byte[][] segments)
    {
        if (jpeg.Length < 2 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        {
            throw new ArgumentException("not a JPEG", nameof(jpeg));
        }

        return [.. jpeg.AsSpan(0, 2), .. segments.SelectMany(s => s), .. jpeg.AsSpan(2)];
    }

    private static byte[] Segment(byte marker, byte[] payload)
    {
        if (payload.Length + 2 > ushort.MaxValue)
        {
            throw new ArgumentException("a JPEG segment holds at most 65533 bytes", nameof(payload));
        }

        var segment = new byte[4 + payload.Length];
        segment[0] = 0xFF;
        segment[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), (ushort)(payload.Length + 2));
        payload.CopyTo(segment, 4);
        return segment;
    }

    /// <summary>Degrees, minutes and seconds (to 1/10000 s) as three rationals.</summary>
    private static byte[] Dms(double degrees)
    {
        var whole = (uint)Math.Floor(degrees);
        var minutesExact = (degrees - whole) * 60;
        var minutes = (uint)Math.Floor(minutesExact);
        var seconds = (uint)Math.Round((minutesExact - minutes) * 60 * 10000);
        return Rationals((whole, 1), (minutes, 1), (seconds, 10000));
    }

    private static byte[] Rationals(params (uint Numerator, uint Denominator)[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(i * 8), values[i].Numerator);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((i * 8) + 4), values[i].Denominator);
        }

        return bytes;
    }

    private static byte[] LittleEndian(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    /// <summary>One IFD: entries sorted by tag, values over four bytes stored after the entry table.</summary>
    private sealed class Ifd
    {
        private readonly SortedDictionary<ushort, (ushort Type, uint Count, byte[] Data)> _entries = [];

        public int Count => _entries.Count;

        public int Size => 2 + (12 * _entries.Count) + 4 + _entries.Values.Sum(e => e.Data.Length > 4 ? e.Data.Length + (e.Data.Length % 2) : 0);

        public void Add(ushort tag, ushort type, uint count, byte[] data) => _entries[tag] = (type, count, data);

        public void AddAscii(ushort tag, string? value)
        {
            if (value is not null)
            {
                var bytes = Encoding.ASCII.GetBytes(value + "\0");
                Add(tag, Ascii, (uint)bytes.Length, bytes);
            }
        }

        public void Set(ushort tag, byte[] data)
        {
            if (_entries.TryGetValue(tag, out var entry))
            {
                _entries[tag] = entry with { Data = data };
            }
        }

        public void Write(byte[] tiff, int offset, uint nextIfd)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(offset), (ushort)_entries.Count);
            var entry = offset + 2;
            var data = offset + 2 + (12 * _entries.Count) + 4;
            foreach (var (tag, (type, count, bytes)) in _entries)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry), tag);
                BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(entry + 2), type);
                BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(entry + 4), count);
                if (bytes.Length <= 4)
                {
                    bytes.CopyTo(tiff, entry + 8);
                }
                else
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(entry + 8), (uint)data);
                    bytes.CopyTo(tiff, data);
                    data += bytes.Length + (bytes.Length % 2);
                }

                entry += 12;
            }

            BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(entry), nextIfd);
        }
    }
}
