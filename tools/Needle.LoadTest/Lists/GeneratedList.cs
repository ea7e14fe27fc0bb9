using System.Globalization;
using System.IO.Compression;
using System.Net;
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

    /// <summary>Whether the list is on disk (<see cref="Write"/>) or only generated into a request body (<see cref="InMemory"/>).</summary>
    public bool OnDisk => NativePath.Length > 0;

    public int Seed { get; private init; }

    /// <summary>Entries carry only a label and a category (hash, identifier and classification, as industry hash lists ship them): no source, no metadata.</summary>
    public bool Lean { get; private init; }

    /// <summary>The entries asked for (the file has exactly these).</summary>
    public int Requested { get; private init; }

    public static GeneratedList Write(string folder, int entries, int seed)
    {
        var nativePath = Path.Combine(folder, "list.ndjson");
        var csvPath = Path.Combine(folder, "list.csv");
        using var native = new StreamWriter(nativePath, false, new UTF8Encoding(false), 1 << 20);
        using var csv = new StreamWriter(csvPath, false, new UTF8Encoding(false), 1 << 20);
        return new GeneratedList(Generate(entries, seed, lean: false, native, csv), nativePath, csvPath) { Seed = seed, Requested = entries };
    }

    /// <summary>The list's PDQ values only, no file: the native list is generated straight into the request body (<see cref="UploadContent"/>).</summary>
    public static GeneratedList InMemory(int entries, int seed, bool lean = false) =>
        new(Generate(entries, seed, lean, TextWriter.Null, null), "", "") { Seed = seed, Requested = entries, Lean = lean };

    /// <summary>
    /// The native list as a request body: the file as is, or (not on disk) generated again from the seed while sent, so
    /// a 100M-entry run needs no 24 GB file; gzip-compressed (Content-Encoding: gzip) when asked.
    /// </summary>
    public HttpContent UploadContent(bool gzip) => new NativeListContent(this, gzip);

    private static PdqHash[] Generate(int entries, int seed, bool lean, TextWriter native, TextWriter? csv)
    {
        var items = (entries + 1) / 2;
        var rng = new Random(seed);
        var pdq = new PdqHash[items];
        native.Write("{\"format\":\"needle-hashlist\",\"version\":1,\"name\":\"bench\",\"kind\":\"known\"}\n");
        Span<byte> bytes = stackalloc byte[32];
        var written = 0;
        var writeLines = native != TextWriter.Null;
        for (var i = 0; i < items; i++)
        {
            do
            {
                rng.NextBytes(bytes);
                pdq[i] = PdqHash.ReadBigEndian(bytes);
            }
            while (pdq[i] == PdqHash.Zero);

            if (!writeLines)
            {
                written++;
                if (written < entries)
                {
                    rng.NextBytes(bytes[..16]);
                    written++;
                }

                continue;
            }

            var label = string.Create(CultureInfo.InvariantCulture, $"NCMEC-{i:D9}");
            var metadata = lean ? null : string.Create(CultureInfo.InvariantCulture, $"{{\"case\":\"C-{i % 99_991:D7}\",\"received\":\"2025-{(i % 12) + 1:D2}-{(i % 28) + 1:D2}T10:00:00Z\"}}");
            var category = ((i % 4) + 1).ToString(CultureInfo.InvariantCulture);
            native.Write(Line(written + 1, "pdq", pdq[i].ToString(), label, category, metadata));
            written++;
            csv?.Write(string.Create(CultureInfo.InvariantCulture, $"{pdq[i]},100,{label}\n"));
            if (written < entries)
            {
                rng.NextBytes(bytes[..16]);
                native.Write(Line(written + 1, "md5", Convert.ToHexStringLower(bytes[..16]), label, category, metadata));
                written++;
            }
        }

        return pdq;
    }

    /// <summary>The native list as a body of unknown length (chunked): read from its file, or generated again while sent.</summary>
    private sealed class NativeListContent : HttpContent
    {
        private readonly GeneratedList _list;
        private readonly bool _gzip;

        public NativeListContent(GeneratedList list, bool gzip)
        {
            _list = list;
            _gzip = gzip;
            if (gzip)
            {
                Headers.ContentEncoding.Add("gzip");
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            // Big writes: the body goes out in 1 MiB pieces (the generator writes synchronously, off the caller's thread).
            // Not disposed: the request stream belongs to the HttpClient (flushed at the end).
            var buffered = new BufferedStream(stream, 1 << 20);
            var gzip = _gzip ? new GZipStream(buffered, CompressionLevel.Fastest, leaveOpen: true) : null;
            var target = (Stream?)gzip ?? buffered;
            if (_list.OnDisk)
            {
                var file = new FileStream(_list.NativePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
                await using (file.ConfigureAwait(false))
                {
                    await file.CopyToAsync(target, 1 << 20, cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await Task.Run(() =>
                {
                    using var writer = new StreamWriter(target, new UTF8Encoding(false), 1 << 20, leaveOpen: true);
                    _ = Generate(_list.Requested, _list.Seed, _list.Lean, writer, null);
                }, cancellationToken).ConfigureAwait(false);
            }

            if (gzip is not null)
            {
                await gzip.DisposeAsync().ConfigureAwait(false);
            }

            await buffered.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _list.OnDisk && !_gzip ? new FileInfo(_list.NativePath).Length : 0;
            return _list.OnDisk && !_gzip;
        }
    }

    private static string Line(int id, string type, string value, string label, string category, string? metadata) => metadata is null
        ? string.Create(CultureInfo.InvariantCulture, $"{{\"id\":{id},\"signalType\":\"{type}\",\"value\":\"{value}\",\"label\":{JsonSerializer.Serialize(label)},\"category\":\"{category}\"}}\n")
        : string.Create(CultureInfo.InvariantCulture,
            $"{{\"id\":{id},\"signalType\":\"{type}\",\"value\":\"{value}\",\"label\":{JsonSerializer.Serialize(label)},\"category\":\"{category}\",\"source\":\"programme-2025.csv\",\"enabled\":true,\"metadata\":{metadata}}}\n");
}
