using Needle.Matching.Lists;

namespace Needle.Matching.Compiled;

/// <summary>
/// The <c>.ndl</c> layout, little-endian throughout. A 4 KiB header: magic <c>NEEDLNDL</c> (8), version (4), section
/// count (4), file length (8), reserved (8); then the section table, <see cref="MaxSections"/> rows of 48 bytes (name,
/// 16 bytes ASCII zero-padded; offset 8; length 8; XxHash3-64 of the section 8; reserved 8); then the XxHash3-64 of
/// everything before it. Sections start on 64-byte boundaries:
/// <list type="bullet">
/// <item><c>lists</c>: per source list its name, kind, thresholds per signal type and entry count.</item>
/// <item>per signal type T present (<c>pdq</c>, <c>md5</c>, <c>sha1</c>, <c>sha256</c>, <c>photodna</c>):
/// <c>T.values</c> (the binary values back to back: PDQ as 4 little-endian words, the others as their bytes; exact
/// types sorted by value so a lookup is a binary search), <c>T.ids</c> (int32 entry id), <c>T.lists</c> (uint16 list
/// number), <c>T.enabled</c> (bitmap, one bit per entry), <c>T.details</c> (int64 offset of the entry's record in
/// <c>details</c>, -1 for none).</item>
/// <item><c>pdq.mih</c>: the multi-index hashing tables (substring count m, then per substring 2^w + 1 uint32 bucket
/// starts and one int32 slot per entry), absent when a scan is cheaper.</item>
/// <item><c>details</c>: label, category, source and metadata records, read only for matched entries;
/// <c>details.sums</c>: XxHash3-64 of each 64 KiB block of it, checked when a record in the block is first read.</item>
/// </list>
/// </summary>
internal static class CompiledListLayout
{
    public const int Version = 1;
    public const int HeaderBytes = 4096;
    public const int FixedHeaderBytes = 32;
    public const int SectionRowBytes = 48;
    public const int SectionNameBytes = 16;
    public const int MaxSections = 40;
    public const int TableChecksumOffset = FixedHeaderBytes + (MaxSections * SectionRowBytes);
    public const int SectionAlignment = 64;
    public const int DetailBlockBytes = 64 << 10;
    public const long NoDetails = -1;

    public static ReadOnlySpan<byte> Magic => "NEEDLNDL"u8;

    /// <summary>The signal types a compiled list holds, in file order (their index is the type's number).</summary>
    public static IReadOnlyList<SignalType> Types { get; } = [SignalTypes.Pdq, SignalTypes.Md5, SignalTypes.Sha1, SignalTypes.Sha256, SignalTypes.PhotoDna];

    /// <summary>Bytes of one value of type number <paramref name="type"/>.</summary>
    public static int Width(int type) => type switch
    {
        0 => 32,
        1 => 16,
        2 => 20,
        3 => 32,
        _ => 144,
    };

    public static long Align(long offset) => (offset + SectionAlignment - 1) & ~(long)(SectionAlignment - 1);

    public static long BitmapWords(long count) => (count + 63) / 64;
}
