namespace Needle.Matching.Lists;

/// <summary>
/// One hash in a list. Immutable: enabling or disabling through <see cref="HashList"/> replaces the entry.
/// </summary>
public sealed record HashListEntry
{
    private static readonly IReadOnlyDictionary<string, string> NoMetadata = System.Collections.ObjectModel.ReadOnlyDictionary<string, string>.Empty;

    /// <summary>Creates an entry; <paramref name="value"/> is validated and normalized by <paramref name="signalType"/>.</summary>
    /// <exception cref="FormatException">The value is not valid for the type.</exception>
    public HashListEntry(SignalType signalType, string value)
    {
        ArgumentNullException.ThrowIfNull(signalType);
        ArgumentNullException.ThrowIfNull(value);
        SignalType = signalType;
        Value = signalType.Normalize(value);
    }

    // For values the list already holds in canonical form (read back from its columns): no second normalization.
    private HashListEntry(SignalType signalType, string value, bool canonical)
    {
        _ = canonical;
        SignalType = signalType;
        Value = value;
    }

    /// <summary>Id unique within its list; 0 until the list assigns one on <see cref="HashList.Add"/>.</summary>
    public int Id { get; init; }

    /// <summary>The kind of hash, which decides how <see cref="Value"/> is compared.</summary>
    public SignalType SignalType { get; }

    /// <summary>The canonical value: lowercase hex (PDQ, MD5, SHA-1, SHA-256) or base64 (PhotoDNA).</summary>
    public string Value { get; }

    /// <summary>Human identifier of the item: VICS MediaID, ICSE Image ID, NCMEC id, or the file path.</summary>
    public string? Label { get; init; }

    /// <summary>Classification as the source spells it (VICS category number, NCMEC classification, ...).</summary>
    public string? Category { get; init; }

    /// <summary>Where the hash came from (file name or provider).</summary>
    public string? Source { get; init; }

    /// <summary>Whether the entry takes part in matching; a disabled entry is kept but never matched.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>Everything else the source said about the item, as text.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = NoMetadata;

    /// <summary>An entry rebuilt from a list's columns; <paramref name="value"/> is already canonical.</summary>
    internal static HashListEntry Trusted(SignalType signalType, string value, int id, bool enabled, string? label, string? category, string? source) =>
        new(signalType, value, canonical: true) { Id = id, Enabled = enabled, Label = label, Category = category, Source = source };
}
