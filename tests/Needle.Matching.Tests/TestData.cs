using System.Text;
using Needle.Hashing;
using Needle.Matching.Formats;
using Needle.Matching.Lists;

namespace Needle.Matching.Tests;

/// <summary>Benign made-up hashes and helpers shared by the tests.</summary>
internal static class TestData
{
    public const string Pdq1 = "30877432d1026706d7e805da846a32c3bb81e3c29b62179273c8eb5bb682575e";
    public const string Pdq2 = "c87a171ac826a6fce48478dcb74f21345d2cce8038a39d5e0853964b50af03b9";
    public const string Pdq3 = "71722f244f58d669cbee3772a077021721a278f64f7fd633dbdde131ca3766e4";
    public const string Pdq4 = "d58e72e310275dff6c15c0c8e9df469611a11f5125227c3712da86a78c49ea20";
    public const string Md5A = "e32684b27b95e909348334896a68f812";
    public const string Md5B = "d810a485ed03241b4d419b1b673bd475";
    public const string Md5C = "5d05ad7853c1f76eb97706ca828bca03";
    public const string Sha1A = "85813dbad3c681d06bd2aa399dac946dc59c0996";
    public const string Sha1B = "daeee6f529a279764017f2ed6cfc7403d75e173e";
    public const string Sha256A = "cf0b9cd7f78df0cac5e40c02d4e518ca6eaac8d82f01b7210760474f36e8b535";
    public const string PhotoDnaA = "nzcNn8DLZSZ8NJo9FbHbvSOuBtf6Nt25607eWor37t+JpX0sjuZ87cKsDv2mXflstYSuj40FYSt70Pp78/vlCC+Wcc98nLzysNmptOiKnIB2PWKhPV5ibveNkDNjl3S4W5oHQIwXG5VA+zQGkfD14a5eGoH0OiHN+yUbTUybK3881XPC5uKY25weMmpshylQ";
    public const string PhotoDnaB = "elgmUAHR5vCVEHaTkOgkd4dl2TpzTIhIJB5UnZPgP++bzov84CkU3aWADS51CokUWfDijlzf+y7wstGqpDVSqNL9k80S6C2hgaU7zgDs0xtguf/iGmiIQ5Pg+D4OelGfB9AvczrsPE7/lYvU9/F86UrEYUUjjdSuiAGQmPpM5PewqsHppGB6xHfSFqLyw8VN";

    public static string DataPath(string name) => Path.Combine(AppContext.BaseDirectory, "data", "lists", name);

    public static Stream Utf8(string text) => new MemoryStream(Encoding.UTF8.GetBytes(text));

    public static ImportResult Read(string formatName, string text, ImportOptions? options = null) =>
        HashListFormats.Default.Get(formatName).Read(Utf8(text), options ?? new ImportOptions { FileName = "test." + formatName });

    public static ImportResult ReadFile(string name, ImportOptions? options = null, string? formatName = null) =>
        HashListFormats.Default.ReadFile(DataPath(name), options, formatName);

    public static HashListFormatException ReadFails(string formatName, string text, ImportOptions? options = null) =>
        Assert.Throws<HashListFormatException>(() => Read(formatName, text, options));

    /// <summary><paramref name="hash"/> with its lowest <paramref name="bits"/> bits flipped: at exactly that Hamming distance.</summary>
    public static PdqHash Flip(PdqHash hash, int bits)
    {
        Span<ulong> words = stackalloc ulong[4];
        hash.CopyTo(words);
        for (var b = 0; b < bits; b++)
        {
            words[b / 64] ^= 1UL << (b % 64);
        }

        return PdqHash.FromWords(words);
    }

    public static PdqHash Pdq(string hex) => PdqHash.Parse(hex);

    public static byte[] PhotoDnaBytes(string base64) => Convert.FromBase64String(base64);

    public static ListMatcher Matcher(params HashList[] lists) => new(lists, static () => new Needle.Matching.Index.MultiIndexHammingIndex());

    public static ListMatcher Matcher(ListMatcherOptions options, params HashList[] lists) => new(lists, static () => new Needle.Matching.Index.MultiIndexHammingIndex(), options);

    public static string Write(IHashListFormat format, HashList list)
    {
        using var stream = new MemoryStream();
        format.Write(list, stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Entries compared on everything but Id and Source (which formats may set differently).</summary>
    public static void AssertSameEntries(IReadOnlyList<HashListEntry> expected, IReadOnlyList<HashListEntry> actual, bool compareEnabled = true)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            var e = expected[i];
            var a = actual[i];
            Assert.Same(e.SignalType, a.SignalType);
            Assert.Equal(e.Value, a.Value);
            Assert.Equal(e.Label, a.Label);
            Assert.Equal(e.Category, a.Category);
            if (compareEnabled)
            {
                Assert.Equal(e.Enabled, a.Enabled);
            }

            Assert.Equal(e.Metadata.OrderBy(static p => p.Key, StringComparer.Ordinal), a.Metadata.OrderBy(static p => p.Key, StringComparer.Ordinal));
        }
    }
}
