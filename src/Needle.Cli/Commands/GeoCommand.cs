using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Needle.Cli.Infrastructure;
using Needle.Geo;

namespace Needle.Cli.Commands;

/// <summary><c>needle geo lookup</c>: where a position or an IP address is, from the offline data, with its source and date.</summary>
internal static class GeoCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("geo", "Offline location clues: positions to country and region, IP addresses to country.");
        command.Subcommands.Add(Lookup(context));
        return command;
    }

    private static Command Lookup(CliContext context)
    {
        var queries = new Argument<string[]>("QUERY")
        {
            Description = "LAT,LON in decimal degrees (e.g. 45.764,4.8357 or -33.86,151.21) or an IPv4/IPv6 address. Several may be given.",
            Arity = ArgumentArity.OneOrMore,
        };
        var ipDatabase = new Option<string?>("--ip-db")
        {
            Description = $"The MaxMind-format IP database (default: ${GeoDataPaths.IpDatabaseVariable}, else the one scripts/fetch-geodata.sh installs).",
            HelpName = "FILE",
        };
        var format = new Option<string>("--format", "-f") { Description = "text or json (one object per line).", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("lookup", "Print the country (and region) of positions or IP addresses, with the data's source, date and licence.")
        {
            queries, ipDatabase, format,
        };
        command.SetAction(parse =>
        {
            // Every query is answered when it can be; the others are named on stderr (exit 1), so a missing IP
            // database never hides the answer for a position, nor a bad query the answers for the good ones.
            var json = parse.GetValue(format) == "json";
            var failures = 0;
            Lazy<(ReverseGeocoder? Geocoder, string? Error)> geocoder = new(() => Load(ReverseGeocoder.LoadDefault));
            Lazy<(IpCountryDatabase? Database, string? Error)> ipCountries = new(() => Load(() =>
                IpCountryDatabase.Open(InputPaths.Resolve(parse.GetValue(ipDatabase) ?? GeoDataPaths.DefaultIpDatabase, context.WorkingDirectory))));
            try
            {
                foreach (var query in parse.GetValue(queries) ?? [])
                {
                    if (TryParsePosition(query, out var position))
                    {
                        if (geocoder.Value is { Geocoder: { } found })
                        {
                            var place = found.Lookup(position.Lat, position.Lon);
                            context.Out.WriteLine(json ? PlaceJson(query, position, place, found.Sources) : PlaceText(query, place, found.Sources));
                            continue;
                        }

                        context.Error.WriteLine($"error: {query}: {geocoder.Value.Error}");
                    }
                    else if (TryParseAddress(query, out var address))
                    {
                        if (ipCountries.Value is { Database: { } database })
                        {
                            var answer = database.Lookup(address);
                            context.Out.WriteLine(json ? IpJson(query, answer) : IpText(query, answer));
                            continue;
                        }

                        context.Error.WriteLine($"error: {query}: {ipCountries.Value.Error}");
                    }
                    else
                    {
                        context.Error.WriteLine($"error: '{query}' is neither LAT,LON (decimal degrees, latitude -90..90, longitude -180..180) nor an IP address");
                    }

                    failures++;
                }
            }
            finally
            {
                if (ipCountries.IsValueCreated)
                {
                    ipCountries.Value.Database?.Dispose();
                }
            }

            context.Out.Flush();
            return failures > 0 ? ExitCodes.SomeFilesFailed : ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Loads geodata, or says why it could not be loaded.</summary>
    private static (T? Value, string? Error) Load<T>(Func<T> load)
        where T : class
    {
        try
        {
            return (load(), null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or JsonException)
        {
            return (null, e.Message);
        }
    }

    /// <summary>"LAT,LON" with invariant decimal points; spaces around the comma are allowed.</summary>
    internal static bool TryParsePosition(string text, out (double Lat, double Lon) position)
    {
        position = default;
        var comma = text.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0
            || !double.TryParse(text.AsSpan(0, comma).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var latitude)
            || !double.TryParse(text.AsSpan(comma + 1).Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var longitude)
            || !double.IsFinite(latitude) || !double.IsFinite(longitude) || Math.Abs(latitude) > 90 || Math.Abs(longitude) > 180)
        {
            return false;
        }

        position = (latitude, longitude);
        return true;
    }

    /// <summary>An IPv6 address, or an IPv4 address in full dotted-quad form (not the legacy "1.2.3" or "8" forms).</summary>
    internal static bool TryParseAddress(string text, out IPAddress address) =>
        IPAddress.TryParse(text, out address!) && (text.Contains(':', StringComparison.Ordinal) || text.Count(c => c == '.') == 3);

    private static string PlaceText(string query, PlaceResult? place, IReadOnlyList<GeoDataSource> sources)
    {
        var text = new StringBuilder();
        text.Append(query).Append(": ");
        if (place is null)
        {
            text.Append("no country (at sea, or outside the data)");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture, $"{place.CountryCode} {place.CountryName}");
            if (place.SovereignCode is { } sovereign)
            {
                text.Append(CultureInfo.InvariantCulture, $" (of {sovereign})");
            }

            if (place.Region is { } region)
            {
                text.Append(CultureInfo.InvariantCulture, $"; region {region.Code ?? "-"} {region.Name}");
            }

            if (place.Subdivision is { } subdivision)
            {
                text.Append(CultureInfo.InvariantCulture, $"; subdivision {subdivision.Code ?? "-"} {subdivision.Name}");
            }
        }

        foreach (var source in sources)
        {
            text.Append("\n  source: ").Append(SourceText(source));
        }

        return text.ToString();
    }

    private static string IpText(string query, IpCountryResult answer) =>
        $"{query}: {answer.CountryCode ?? "no country (unassigned, private or reserved)"}"
        + (answer.Network is { } network ? $" (network {network})" : "")
        + "\n  source: " + SourceText(answer.Source);

    private static string SourceText(GeoDataSource source) =>
        source.Name + (source.Date is { } date ? ", built " + date.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture) : "") + "; licence: " + source.Licence;

    private static string PlaceJson(string query, (double Lat, double Lon) position, PlaceResult? place, IReadOnlyList<GeoDataSource> sources) =>
        Json(json =>
        {
            json.WriteString("query", query);
            json.WriteNumber("lat", position.Lat);
            json.WriteNumber("lon", position.Lon);
            if (place is null)
            {
                json.WriteNull("country");
            }
            else
            {
                json.WriteString("country", place.CountryCode);
                json.WriteString("country_name", place.CountryName);
                WriteIfPresent(json, "sovereign", place.SovereignCode);
                WriteIfPresent(json, "region", place.Region?.Code);
                WriteIfPresent(json, "region_name", place.Region?.Name);
                WriteIfPresent(json, "subdivision", place.Subdivision?.Code);
                WriteIfPresent(json, "subdivision_name", place.Subdivision?.Name);
            }

            json.WriteStartArray("sources");
            foreach (var source in sources)
            {
                WriteSource(json, source);
            }

            json.WriteEndArray();
        });

    private static string IpJson(string query, IpCountryResult answer) =>
        Json(json =>
        {
            json.WriteString("query", query);
            json.WriteString("ip", answer.Address.ToString());
            if (answer.CountryCode is { } country)
            {
                json.WriteString("country", country);
            }
            else
            {
                json.WriteNull("country");
            }

            WriteIfPresent(json, "network", answer.Network);
            json.WritePropertyName("source");
            WriteSource(json, answer.Source);
        });

    private static void WriteSource(Utf8JsonWriter json, GeoDataSource source)
    {
        json.WriteStartObject();
        json.WriteString("name", source.Name);
        if (source.Date is { } date)
        {
            json.WriteString("date", date.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture));
        }

        json.WriteString("licence", source.Licence);
        json.WriteEndObject();
    }

    private static string Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteIfPresent(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
