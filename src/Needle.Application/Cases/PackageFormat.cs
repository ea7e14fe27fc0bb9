using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Needle.Core.Cases;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Application.Cases;

/// <summary>
/// The export package, version 1: a zip of <c>package.json</c> (<see cref="PackageDocument"/>), <c>summary.html</c>
/// (printable), <c>media/{fileId}.bin</c> for each file whose media was asked for (AES-256-GCM, see
/// <see cref="PackageCrypto"/>), and <c>manifest.json</c> (<see cref="PackageManifest"/>): the length and SHA-256 of
/// every other entry and, when a passphrase was given, an HMAC over them.
/// </summary>
internal static class PackageFormat
{
    public const string Name = "needle-report-export";
    public const int Version = 1;
    public const string DocumentEntry = "package.json";
    public const string SummaryEntry = "summary.html";
    public const string ManifestEntry = "manifest.json";
    public const string MediaFolder = "media/";

    public static JsonSerializerOptions Json { get; } = CreateJson();

    public static string MediaEntry(Guid fileId) => $"{MediaFolder}{fileId:N}.bin";

    /// <summary>The text the manifest's HMAC covers: format, version, the encryption parameters and every entry, by name.</summary>
    public static string MacText(PackageManifest manifest)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{manifest.Format}\n{manifest.Version}\n");
        if (manifest.Encryption is { } e)
        {
            text.Append(CultureInfo.InvariantCulture, $"{e.Kdf}\n{e.Iterations}\n{e.Salt}\n{e.Cipher}\n");
        }

        foreach (var entry in manifest.Entries.OrderBy(e => e.Name, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{entry.Name}\n{entry.Length}\n{entry.Sha256}\n");
        }

        return text.ToString();
    }

    private static JsonSerializerOptions CreateJson()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>package.json: the report with its files (hashes, clues, matches on the exporting server), jurisdiction and its evidence, every decision, the notes, outcomes and assignment.</summary>
internal sealed record PackageDocument
{
    public string Format { get; init; } = PackageFormat.Name;

    public int Version { get; init; } = PackageFormat.Version;

    public required DateTimeOffset ExportedAt { get; init; }

    public required string ExportedBy { get; init; }

    public required StoredReport Report { get; init; }

    public PriorityScore? Score { get; init; }

    /// <summary>Every decision of every file, each file's oldest first.</summary>
    public IReadOnlyList<FileDecision> Decisions { get; init; } = [];

    public IReadOnlyList<ReportNote> Notes { get; init; } = [];

    public IReadOnlyList<ReportOutcome> Outcomes { get; init; } = [];

    public ReportAssignment? Assignment { get; init; }

    /// <summary>The files whose media is in the package: file id → entry name.</summary>
    public IReadOnlyDictionary<Guid, string> Media { get; init; } = new Dictionary<Guid, string>();
}

/// <summary>manifest.json.</summary>
internal sealed record PackageManifest(string Format, int Version, IReadOnlyList<PackageEntry> Entries, PackageEncryption? Encryption, string? Mac);

/// <summary>One entry of the zip: its name, length and SHA-256 (lowercase hex).</summary>
internal sealed record PackageEntry(string Name, long Length, string Sha256);

/// <summary>How the passphrase became keys: KDF, iterations, salt (base64), cipher.</summary>
internal sealed record PackageEncryption(string Kdf, int Iterations, string Salt, string Cipher);
