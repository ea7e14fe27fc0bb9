using Needle.Matching.Lists;

namespace Needle.Matching.Formats;

/// <summary>The known list formats, with auto-detection and forcing by name. Immutable.</summary>
public sealed class HashListFormats
{
    /// <summary>Bytes read to detect a format.</summary>
    public const int DetectionHeadBytes = 8 * 1024;

    /// <summary>Below this confidence a format is not chosen.</summary>
    private const double MinimumConfidence = 0.5;

    private readonly IHashListFormat[] _formats;

    /// <summary>A set of formats; detection tries them in this order and keeps the most confident.</summary>
    /// <param name="formats">The formats; their names should be distinct (<see cref="TryGet"/> takes the first).</param>
    public HashListFormats(IEnumerable<IHashListFormat> formats)
    {
        ArgumentNullException.ThrowIfNull(formats);
        _formats = [.. formats];
    }

    /// <summary>csv, text, vics (writes 2.0), icse, ncmec, stopncii, needle.</summary>
    public static HashListFormats Default { get; } = new(
    [
        new CsvHashListFormat(),
        new TextHashListFormat(),
        new VicsHashListFormat(),
        new IcseHashListFormat(),
        new NcmecHashListFormat(),
        new StopNciiHashListFormat(),
        new NeedleHashListFormat(),
    ]);

    /// <summary>The formats, in detection order.</summary>
    public IReadOnlyList<IHashListFormat> Formats => _formats;

    /// <summary>Finds a format by name, case-insensitively. <c>vics-1.3</c> gives the VICS format writing 1.3.</summary>
    public bool TryGet(string name, out IHashListFormat format)
    {
        if (string.Equals(name, "vics-1.3", StringComparison.OrdinalIgnoreCase))
        {
            format = new VicsHashListFormat(VicsVersion.V1_3);
            return true;
        }

        foreach (var candidate in _formats)
        {
            if (string.Equals(candidate.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                format = candidate;
                return true;
            }
        }

        format = null!;
        return false;
    }

    /// <summary>Finds a format by name like <see cref="TryGet"/>; throws <see cref="ArgumentException"/>, naming the known formats, when there is none.</summary>
    public IHashListFormat Get(string name) => TryGet(name, out var format)
        ? format
        : throw new ArgumentException($"Unknown list format '{name}'. Known: {string.Join(", ", _formats.Select(static f => f.Name))}.", nameof(name));

    /// <summary>The most confident format for a file head, or null when none is confident enough.</summary>
    public IHashListFormat? Detect(ReadOnlySpan<byte> head, string? fileName)
    {
        IHashListFormat? best = null;
        var bestScore = MinimumConfidence;
        foreach (var format in _formats)
        {
            var score = format.Detect(head, fileName);
            if (score > bestScore)
            {
                best = format;
                bestScore = score;
            }
        }

        return best;
    }

    /// <summary>Reads a list, detecting the format unless <paramref name="formatName"/> forces one.</summary>
    public ImportResult Read(Stream stream, ImportOptions options, string? formatName = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(options);
        if (formatName is not null)
        {
            return Get(formatName).Read(stream, options);
        }

        var (head, length, all) = PrefixedStream.Peek(stream, DetectionHeadBytes);
        var format = Detect(head.AsSpan(0, length), options.FileName)
            ?? throw new HashListFormatException($"{options.FileName ?? "(stream)"}: cannot tell the list format; force one of {string.Join(", ", _formats.Select(static f => f.Name))}.");
        return format.Read(all, options);
    }

    /// <summary>Reads a list file (gzip-compressed or not); the file name is used in messages and as the default list name.</summary>
    public ImportResult ReadFile(string path, ImportOptions? options = null, string? formatName = null)
    {
        options ??= new ImportOptions();
        using var stream = CompressedListFile.Open(File.OpenRead(path), gzip: false, maxDecompressedBytes: null, path);
        return Read(stream, options with { FileName = options.FileName ?? path }, formatName);
    }

    /// <summary>Writes a list file in the named format (written to a temporary file first, then moved into place).</summary>
    public void WriteFile(HashList list, string path, string formatName)
    {
        var format = Get(formatName);
        var temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        {
            format.Write(list, stream);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
