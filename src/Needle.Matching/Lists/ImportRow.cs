using System.Runtime.CompilerServices;
using System.Text;

namespace Needle.Matching.Lists;

/// <summary>
/// One list entry of an import as UTF-8 bytes, not objects: the signal type, the canonical value (as text, and in
/// binary form for fixed-width types), label, category and source, the enabled flag and the metadata pairs (unescaped
/// UTF-8). One instance is reused for every entry of an import, so a reader fills it, each consumer (the store's bulk
/// load, the import stage, <see cref="HashList.AddRows"/>) takes the bytes it needs, and no entry object, dictionary
/// or string is made per entry. Valid until the next entry is written into it.
/// </summary>
public sealed class ImportRow
{
    private const int ValueSlot = 0, LabelSlot = 1, CategorySlot = 2, SourceSlot = 3;

    private readonly int[] _start = new int[4];
    private readonly int[] _length = new int[4];
    private byte[] _text = new byte[512];
    private int _used;
    private int[] _pairs = new int[16];
    private byte[] _binary = new byte[256];
    private byte[] _utf8A = new byte[256];
    private byte[] _utf8B = new byte[256];

    /// <summary>An empty row (call <see cref="Reset"/> before filling it).</summary>
    public ImportRow() => Reset(SignalTypes.Md5);

    /// <summary>The entry's signal type.</summary>
    public SignalType SignalType { get; private set; } = SignalTypes.Md5;

    /// <summary>The entry's id: as read (0 when the file gives none), or as the store assigned it.</summary>
    public int Id { get; set; }

    /// <summary>Whether the entry takes part in matching.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The canonical value as UTF-8 text (what <see cref="HashListEntry.Value"/> holds).</summary>
    public ReadOnlySpan<byte> Value => Slot(ValueSlot);

    /// <summary>The value in its binary form (<see cref="SignalType.ValueBytes"/> bytes); empty for types without one.</summary>
    public ReadOnlySpan<byte> BinaryValue => _binary.AsSpan(0, SignalType.ValueBytes);

    /// <summary>Whether a label is present.</summary>
    public bool HasLabel => _length[LabelSlot] >= 0;

    /// <summary>The label's UTF-8 bytes (empty when absent).</summary>
    public ReadOnlySpan<byte> Label => Slot(LabelSlot);

    /// <summary>Whether a category is present.</summary>
    public bool HasCategory => _length[CategorySlot] >= 0;

    /// <summary>The category's UTF-8 bytes (empty when absent).</summary>
    public ReadOnlySpan<byte> Category => Slot(CategorySlot);

    /// <summary>Whether a source is present.</summary>
    public bool HasSource => _length[SourceSlot] >= 0;

    /// <summary>The source's UTF-8 bytes (empty when absent).</summary>
    public ReadOnlySpan<byte> Source => Slot(SourceSlot);

    /// <summary>Number of metadata pairs (keys are distinct, in the order first given).</summary>
    public int MetadataCount { get; private set; }

    /// <summary>The key of metadata pair <paramref name="index"/>, UTF-8.</summary>
    public ReadOnlySpan<byte> MetadataKey(int index) => _text.AsSpan(_pairs[index * 4], _pairs[(index * 4) + 1]);

    /// <summary>The value of metadata pair <paramref name="index"/>, UTF-8.</summary>
    public ReadOnlySpan<byte> MetadataValue(int index) => _text.AsSpan(_pairs[(index * 4) + 2], _pairs[(index * 4) + 3]);

    /// <summary>Empties the row for a new entry of <paramref name="signalType"/> (enabled, id 0, no value, texts or metadata).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Reset(SignalType signalType)
    {
        ArgumentNullException.ThrowIfNull(signalType);
        SignalType = signalType;
        Id = 0;
        Enabled = true;
        _used = 0;
        MetadataCount = 0;
        for (var i = 0; i < _length.Length; i++)
        {
            _start[i] = 0;
            _length[i] = -1;
        }

        if (_binary.Length < signalType.ValueBytes)
        {
            _binary = new byte[signalType.ValueBytes];
        }
    }

    /// <summary>Sets the canonical value text; the binary form is encoded from it for fixed-width types.</summary>
    /// <exception cref="FormatException">The value is not canonical for the type.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void SetCanonicalValue(ReadOnlySpan<byte> canonical)
    {
        SetSlot(ValueSlot, canonical);
        if (SignalType.ValueBytes > 0)
        {
            if (!SignalType.IsHexValue || !TryDecodeHex(canonical, _binary.AsSpan(0, SignalType.ValueBytes)))
            {
                SignalType.EncodeValue(Encoding.UTF8.GetString(canonical), _binary);
            }
        }
    }

    /// <summary>Sets the label (null: none).</summary>
    public void SetLabel(ReadOnlySpan<byte> text, bool present = true) => SetSlot(LabelSlot, text, present);

    /// <summary>Sets the category (null: none).</summary>
    public void SetCategory(ReadOnlySpan<byte> text, bool present = true) => SetSlot(CategorySlot, text, present);

    /// <summary>Sets the source (null: none).</summary>
    public void SetSource(ReadOnlySpan<byte> text, bool present = true) => SetSlot(SourceSlot, text, present);

    /// <summary>Adds a metadata pair; false (nothing added) when the key is already there.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool TryAddMetadata(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        for (var i = 0; i < MetadataCount; i++)
        {
            if (MetadataKey(i).SequenceEqual(key))
            {
                return false;
            }
        }

        if (_pairs.Length < (MetadataCount + 1) * 4)
        {
            Array.Resize(ref _pairs, _pairs.Length * 2);
        }

        var at = MetadataCount * 4;
        _pairs[at] = Append(key);
        _pairs[at + 1] = key.Length;
        _pairs[at + 2] = Append(value);
        _pairs[at + 3] = value.Length;
        MetadataCount++;
        return true;
    }

    /// <summary>Fills the row from <paramref name="entry"/> (the general readers' entries take this way).</summary>
    public void Set(HashListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        Reset(entry.SignalType);
        Id = entry.Id;
        Enabled = entry.Enabled;
        SetCanonicalValue(Utf8(entry.Value, 0));
        SetText(LabelSlot, entry.Label);
        SetText(CategorySlot, entry.Category);
        SetText(SourceSlot, entry.Source);
        foreach (var (key, value) in entry.Metadata)
        {
            var keyStart = Append(Utf8(key, 0));
            var keyLength = _used - keyStart;
            var valueStart = Append(Utf8(value ?? string.Empty, 1));
            if (_pairs.Length < (MetadataCount + 1) * 4)
            {
                Array.Resize(ref _pairs, _pairs.Length * 2);
            }

            var at = MetadataCount * 4;
            _pairs[at] = keyStart;
            _pairs[at + 1] = keyLength;
            _pairs[at + 2] = valueStart;
            _pairs[at + 3] = _used - valueStart;
            MetadataCount++;
        }
    }

    /// <summary>The row as an entry object (for the few consumers that need one, and for tests).</summary>
    public HashListEntry ToEntry()
    {
        Dictionary<string, string>? metadata = null;
        if (MetadataCount > 0)
        {
            metadata = new Dictionary<string, string>(MetadataCount, StringComparer.Ordinal);
            for (var i = 0; i < MetadataCount; i++)
            {
                metadata[Encoding.UTF8.GetString(MetadataKey(i))] = Encoding.UTF8.GetString(MetadataValue(i));
            }
        }

        var entry = HashListEntry.Trusted(
            SignalType,
            Encoding.UTF8.GetString(Value),
            Id,
            Enabled,
            HasLabel ? Encoding.UTF8.GetString(Label) : null,
            HasCategory ? Encoding.UTF8.GetString(Category) : null,
            HasSource ? Encoding.UTF8.GetString(Source) : null);
        return metadata is null ? entry : entry with { Metadata = metadata };
    }

    /// <summary>A string's UTF-8 bytes in one of two scratch buffers (two: a key and its value are held at once).</summary>
    private ReadOnlySpan<byte> Utf8(string text, int buffer)
    {
        var max = Encoding.UTF8.GetMaxByteCount(text.Length);
        ref var scratch = ref buffer == 0 ? ref _utf8A : ref _utf8B;
        if (scratch.Length < max)
        {
            scratch = new byte[max];
        }

        return scratch.AsSpan(0, Encoding.UTF8.GetBytes(text, scratch));
    }

    private void SetText(int slot, string? text)
    {
        if (text is not null)
        {
            SetSlot(slot, Utf8(text, 0));
        }
    }

    private ReadOnlySpan<byte> Slot(int slot) => _length[slot] < 0 ? default : _text.AsSpan(_start[slot], _length[slot]);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void SetSlot(int slot, ReadOnlySpan<byte> text, bool present = true)
    {
        if (!present)
        {
            _start[slot] = 0;
            _length[slot] = -1;
            return;
        }

        _start[slot] = Append(text);
        _length[slot] = text.Length;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int Append(ReadOnlySpan<byte> bytes)
    {
        if (_text.Length - _used < bytes.Length)
        {
            Array.Resize(ref _text, Math.Max(_text.Length * 2, _used + bytes.Length));
        }

        var start = _used;
        bytes.CopyTo(_text.AsSpan(start));
        _used += bytes.Length;
        return start;
    }

    /// <summary>Lowercase hex digits into bytes; false on anything else.</summary>
    internal static bool TryDecodeHex(ReadOnlySpan<byte> hex, Span<byte> destination) =>
        hex.Length == destination.Length * 2
        && !hex.ContainsAnyInRange((byte)'A', (byte)'F')
        && Convert.FromHexString(hex, destination, out _, out var written) == System.Buffers.OperationStatus.Done
        && written == destination.Length;

    /// <summary>
    /// Sets the value from lowercase hex already decoded by the caller into <paramref name="binary"/> (its
    /// <see cref="SignalType.ValueBytes"/> bytes): the fast reader checks the hash before the row takes it.
    /// </summary>
    internal void SetDecodedHexValue(ReadOnlySpan<byte> hex, ReadOnlySpan<byte> binary)
    {
        SetSlot(ValueSlot, hex);
        binary[..SignalType.ValueBytes].CopyTo(_binary);
    }
}
