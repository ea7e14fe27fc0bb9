using System.Globalization;
using System.Text.Json;
using Needle.Cli.Clues;

namespace Needle.Cli.Output;

/// <summary>The clues in JSON (hash and scan jsonl), CSV columns and HTML cells.</summary>
internal static class ClueWriters
{
    /// <summary>Columns appended to scan CSV rows.</summary>
    public const string CsvHeader = "gps_lat,gps_lon,country,region,captured,camera_make,camera_model,camera_serial,thumbnail_differs,metadata_error";

    /// <summary>Writes <c>"metadata": {...}</c>.</summary>
    public static void WriteJson(Utf8JsonWriter json, FileClues clues)
    {
        var m = clues.Metadata;
        json.WriteStartObject("metadata");
        if (m.Gps is { } gps)
        {
            json.WriteStartObject("gps");
            json.WriteNumber("lat", Math.Round(gps.Latitude, 7));
            json.WriteNumber("lon", Math.Round(gps.Longitude, 7));
            if (gps.AltitudeMetres is { } altitude)
            {
                json.WriteNumber("altitude_m", Math.Round(altitude, 2));
            }

            if (gps.TimestampUtc is { } time)
            {
                json.WriteString("time_utc", time.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
            }

            if (clues.Place is { } place)
            {
                json.WriteString("country", place.CountryCode);
                json.WriteString("country_name", place.CountryName);
                WriteIfPresent(json, "sovereign", place.SovereignCode);
                WriteIfPresent(json, "region", place.Region?.Code);
                WriteIfPresent(json, "region_name", place.Region?.Name);
                WriteIfPresent(json, "subdivision", place.Subdivision?.Code);
                WriteIfPresent(json, "subdivision_name", place.Subdivision?.Name);
            }

            json.WriteEndObject();
        }

        WriteIfPresent(json, "captured", m.Captured?.ToString());
        if (m.CameraMake is not null || m.CameraModel is not null || m.BodySerialNumber is not null || m.LensModel is not null || m.LensSerialNumber is not null)
        {
            json.WriteStartObject("camera");
            WriteIfPresent(json, "make", m.CameraMake);
            WriteIfPresent(json, "model", m.CameraModel);
            WriteIfPresent(json, "serial", m.BodySerialNumber);
            WriteIfPresent(json, "lens_model", m.LensModel);
            WriteIfPresent(json, "lens_serial", m.LensSerialNumber);
            json.WriteEndObject();
        }

        WriteIfPresent(json, "software", m.Software);
        WriteIfPresent(json, "image_unique_id", m.ImageUniqueId);
        if (m.Names.Count > 0)
        {
            json.WriteStartArray("names");
            foreach (var name in m.Names)
            {
                json.WriteStartObject();
                json.WriteString("source", name.Source);
                json.WriteString("name", name.Name);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        if (clues.Thumbnail is { } thumbnail)
        {
            json.WriteStartObject("thumbnail");
            json.WriteNumber("bytes", thumbnail.Bytes);
            if (thumbnail.Pdq is { } pdq)
            {
                json.WriteString("pdq", pdq.Hash.ToString());
                json.WriteNumber("quality", pdq.Quality);
            }

            if (thumbnail.Distance is { } distance)
            {
                json.WriteNumber("distance", distance);
            }

            if (thumbnail.Differs is { } differs)
            {
                json.WriteBoolean("thumbnail_differs", differs);
            }

            WriteIfPresent(json, "error", thumbnail.Error);
            json.WriteEndObject();
        }

        WriteIfPresent(json, "error", m.MetadataError);
        json.WriteEndObject();
    }

    /// <summary>The values for <see cref="CsvHeader"/>, CSV-quoted and comma-joined (empty when unknown).</summary>
    public static string CsvColumns(FileClues? clues, Func<string, string> quote)
    {
        var m = clues?.Metadata;
        return string.Join(',',
            m?.Gps is { } gps ? gps.Latitude.ToString("0.0######", CultureInfo.InvariantCulture) : "",
            m?.Gps is { } gps2 ? gps2.Longitude.ToString("0.0######", CultureInfo.InvariantCulture) : "",
            clues?.Place?.CountryCode ?? "",
            clues?.Place?.Region?.Code ?? "",
            m?.Captured?.ToString() ?? "",
            quote(m?.CameraMake ?? ""),
            quote(m?.CameraModel ?? ""),
            quote(m?.BodySerialNumber ?? ""),
            clues?.ThumbnailDiffers switch { true => "true", false => "false", null => "" },
            quote(m?.MetadataError ?? ""));
    }

    /// <summary>Short human text for the HTML report's clue columns: (where, when, camera, thumbnail).</summary>
    public static (string Where, string When, string Camera, string Thumbnail) Summary(FileClues clues)
    {
        var m = clues.Metadata;
        var where = m.Gps is { } gps
            ? string.Create(CultureInfo.InvariantCulture, $"{gps.Latitude:0.00000}, {gps.Longitude:0.00000}")
              + (clues.Place is { } place ? $" ({place.CountryCode}{(place.Region is { } region ? " " + (region.Code ?? region.Name) : "")})" : " (at sea or unknown)")
            : "";
        var camera = string.Join(" ", new[] { m.CameraMake, m.CameraModel }.Where(s => s is not null))
            + (m.BodySerialNumber is { } serial ? $" #{serial}" : "");
        var thumbnail = clues.Thumbnail switch
        {
            null => "",
            { Differs: true, Distance: var d } => string.Create(CultureInfo.InvariantCulture, $"DIFFERS (distance {d})"),
            { Differs: false, Distance: var d } => string.Create(CultureInfo.InvariantCulture, $"same picture (distance {d})"),
            _ => "present",
        };
        return (where, m.Captured?.ToString() ?? "", camera, thumbnail);
    }

    private static void WriteIfPresent(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
