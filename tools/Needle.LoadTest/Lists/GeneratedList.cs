using System.Globalization;
using System.Text;
using System.Text.Json;
using Needle.Hashing;

namespace Needle.LoadTest.Lists;

/// <summary>
/// A list of N entries as the hash-sharing programmes ship them: per item a PDQ and an MD5 entry with a label, a
/// category, a source and two metadata fields; written as Needle's native format and (its PDQ half) as CSV.
/// </summary>
internal sealed class GeneratedList
{
    private GeneratedList(PdqHash[] pdq, string nativePath, string csvPath)
    {
        Pdq = pdq;
        NativePath = nativePath;
        CsvPath = csvPath;
    }

    /// <summary>The PDQ values in file order (entry 2i+1 of the native file).</summary>
    public PdqHash[] Pdq { get; }

    public string NativePath { get; }

    public string CsvPath { get; }

    public int Entries => Pdq.Length * 2;

    public static GeneratedList Write(string folder, int entries, int seed)
    {
        var items = (entries + 1) / 2;
        var rng = new Random(seed);
        var pdq = new PdqHash[items];
        var nativePath = Path.Combine(folder, "list.ndjson");
        var csvPath = Path.Combine(folder, "list.csv");
        using var native = new StreamWriter(nativePath, false, new UTF8Encoding(false), 1 << 20);
        using var csv = new StreamWriter(csvPath, false, new UTF8Encoding(false), 1 << 20);
        native.Write("{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"bench\",\"kind\":\"known\"}\n");
        Span<byte> bytes = stackalloc byte[32];
        var written = 0;
        for (var i = 0; i < items; i++)
        {
            do
            {
                rng.NextBytes(bytes);
                pdq[i] = PdqHash.ReadBigEndian(bytes);
            }
            while (pdq[i] == PdqHash.Zero);

            var label = string.Create(CultureInfo.InvariantCulture, $"NCMEC-{i:D9}");
            var metadata = string.Create(CultureInfo.InvariantCulture, $"{{\"case\":\"C-{i % 99_991:D7}\",\"received\":\"2025-{(i % 12) + 1:D2}-{(i % 28) + 1:D2}T10:00:00Z\"}}");
            var category = ((i % 4) + 1).ToString(CultureInfo.InvariantCulture);
            native.Write(Line(written + 1, "pdq", pdq[i].ToString(), label, category, metadata));
            written++;
            csv.Write(string.Create(CultureInfo.InvariantCulture, $"{pdq[i]},100,{label}\n"));
            if (written < entries)
            {
                rng.NextBytes(bytes[..16]);
                native.Write(Line(written + 1, "md5", Convert.ToHexStringLower(bytes[..16]), label, category, metadata));
                written++;
            }
        }

        return new GeneratedList(pdq, nativePath, csvPath);
    }

    private static string Line(int id, string type, string value, string label, string category, string metadata) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"id\":{id},\"signalType\":\"{type}\",\"value\":\"{value}\",\"label\":{JsonSerializer.Serialize(label)},\"category\":\"{category}\",\"source\":\"programme-2025.csv\",\"enabled\":true,\"metadata\":{metadata}}}\n");
}
