using System.Globalization;
using Needle.Hashing;
using Needle.Matching.Compiled;
using Needle.Matching.Index;
using Needle.Matching.Lists;

namespace Needle.Matching.Tests;

public sealed class CompiledListTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "needle-ndl-" + Guid.NewGuid().ToString("N"));

    public CompiledListTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Compiled_pdq_lists_give_the_same_matches_and_details_as_the_source_lists()
    {
        var random = new Random(7);
        var known = new HashList("known");
        var strict = new HashList("strict") { PdqThreshold = 12 };
        var allow = new HashList("false-positives", HashListKind.Allow);
        var hashes = new List<PdqHash>();
        for (var i = 0; i < 20_000; i++)
        {
            var hash = RandomHash(random);
            hashes.Add(hash);
            var list = i % 10 == 0 ? strict : i % 97 == 0 ? allow : known;
            var entry = list.Add(new HashListEntry(SignalTypes.Pdq, hash.ToString())
            {
                Label = i % 3 == 0 ? null : "item-" + i.ToString(CultureInfo.InvariantCulture),
                Category = i % 5 == 0 ? "A1" : null,
                Source = "feed",
                Metadata = i % 4 == 0 ? new Dictionary<string, string> { ["case"] = "c" + i.ToString(CultureInfo.InvariantCulture), ["note"] = "é ✓" } : new Dictionary<string, string>(),
            });
            if (i % 50 == 1)
            {
                list.Disable(entry.Id);
            }
        }

        // Near copies of listed hashes at every distance around the thresholds, dihedral queries and strangers.
        var queries = new List<FileSignals>();
        for (var q = 0; q < 300; q++)
        {
            var near = TestData.Flip(hashes[random.Next(hashes.Count)], random.Next(0, 40));
            queries.Add(new FileSignals { Pdq = near });
        }

        for (var q = 0; q < 40; q++)
        {
            var dihedral = Enumerable.Range(0, 8).Select(_ => RandomHash(random)).ToArray();
            dihedral[random.Next(8)] = TestData.Flip(hashes[random.Next(hashes.Count)], random.Next(0, 32));
            queries.Add(new FileSignals { PdqDihedral = dihedral });
        }

        queries.Add(new FileSignals { Pdq = RandomHash(random) });
        queries.Add(new FileSignals { Pdq = hashes[5], PdqQuality = 10 });

        var options = new ListMatcherOptions { MinimumPdqQuality = 50 };
        var matched = AssertSameMatches([known, strict, allow], queries, options);
        Assert.True(matched > 250, $"only {matched} queries matched");
        AssertSameMatches([known, strict, allow], queries, new ListMatcherOptions { PdqThresholdOverride = 20 });
    }

    [Fact]
    public void Compiled_exact_and_photodna_lists_give_the_same_matches_as_the_source_lists()
    {
        var random = new Random(11);
        var first = new HashList("first");
        var second = new HashList("second");
        var md5 = new List<string>();
        var sha1 = new List<string>();
        var sha256 = new List<string>();
        var photoDna = new List<byte[]>();
        for (var i = 0; i < 3000; i++)
        {
            md5.Add(RandomHex(random, 16));
            sha1.Add(RandomHex(random, 20));
            sha256.Add(RandomHex(random, 32));
            var vector = new byte[144];
            random.NextBytes(vector);
            photoDna.Add(vector);
        }

        for (var i = 0; i < 3000; i++)
        {
            var list = i % 2 == 0 ? first : second;
            var label = "file-" + i.ToString(CultureInfo.InvariantCulture);
            list.Add(new HashListEntry(SignalTypes.Md5, md5[i]) { Label = label, Category = "B" });
            list.Add(new HashListEntry(SignalTypes.Sha1, sha1[i]) { Label = label });
            var entry = list.Add(new HashListEntry(SignalTypes.Sha256, sha256[i]) { Label = label, Metadata = new Dictionary<string, string> { ["k"] = "v" } });
            if (i % 100 == 3)
            {
                list.Disable(entry.Id);
            }

            if (i < 200)
            {
                list.Add(new HashListEntry(SignalTypes.PhotoDna, Convert.ToBase64String(photoDna[i])) { Label = label });
            }

            // The same value in both lists, and twice in one list: every copy matches.
            if (i % 7 == 0)
            {
                second.Add(new HashListEntry(SignalTypes.Md5, md5[i]) { Label = "dup-" + label });
                second.Add(new HashListEntry(SignalTypes.Sha256, sha256[i]) { Label = "dup2-" + label });
            }
        }

        var queries = new List<FileSignals>();
        for (var q = 0; q < 400; q++)
        {
            var i = random.Next(3000);
            var vector = (byte[])photoDna[i % 250].Clone();
            vector[q % 144] = (byte)(vector[q % 144] ^ (q % 30));
            queries.Add(new FileSignals
            {
                Md5 = q % 3 == 0 ? md5[i].ToUpperInvariant() : q % 3 == 1 ? md5[i] : RandomHex(random, 16),
                Sha1 = q % 4 == 0 ? sha1[random.Next(3000)] : null,
                Sha256 = q % 2 == 0 ? " " + sha256[i] + " " : RandomHex(random, 32),
                PhotoDna = q % 5 == 0 ? vector : null,
            });
        }

        queries.Add(new FileSignals { Md5 = "not hex" });
        var matched = AssertSameMatches([first, second], queries, new ListMatcherOptions());
        Assert.True(matched > 300, $"only {matched} queries matched");
    }

    [Fact]
    public void Several_lists_compiled_into_one_file_keep_their_names_kinds_and_counts()
    {
        var a = new HashList("alpha");
        a.Add(new HashListEntry(SignalTypes.Md5, new string('a', 32)));
        var b = new HashList("beta", HashListKind.Allow);
        b.Add(new HashListEntry(SignalTypes.Pdq, RandomHash(new Random(1)).ToString()));
        b.Add(new HashListEntry(SignalTypes.Sha256, new string('b', 64)));
        var path = Compile(a, b);

        using var file = CompiledListFile.Open(path);
        file.VerifyAll();
        Assert.Equal([new CompiledListInfo("alpha", HashListKind.Known, 1), new CompiledListInfo("beta", HashListKind.Allow, 2)], file.Lists);
        Assert.Equal(3, file.EntryCount);
        using var allowOnly = CompiledListFile.Open(path, HashListKind.Allow);
        Assert.All(allowOnly.Lists, l => Assert.Equal(HashListKind.Allow, l.Kind));
    }

    [Fact]
    public void An_empty_list_compiles_and_matches_nothing()
    {
        var path = Compile(new HashList("empty"));

        using var file = CompiledListFile.Open(path);
        file.VerifyAll();
        Assert.Equal("empty", Assert.Single(file.Lists).Name);
        Assert.Equal(0, file.EntryCount);
        using var matcher = new ListMatcher([], [file], static () => new MultiIndexHammingIndex());
        Assert.Equal(MatchStatus.NoMatch, matcher.Match(new FileSignals { Pdq = RandomHash(new Random(2)), Md5 = new string('a', 32) }).Status);
    }

    [Fact]
    public void A_list_with_video_entries_is_refused_with_its_name()
    {
        var list = new HashList("videos");
        list.Add(new HashListEntry(SignalTypes.Vpdq, "0,100," + RandomHash(new Random(4)) + ",0.000"));

        var error = Assert.Throws<ArgumentException>(() => CompiledListWriter.Write(Path.Combine(_directory, "r.ndl"), [list]));
        Assert.Contains("'videos'", error.Message, StringComparison.Ordinal);
        Assert.Contains("vpdq", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_is_refused_at_open_naming_the_file_and_the_section()
    {
        var path = Compile(SampleList());
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 4)]);

        var error = Assert.Throws<CompiledListFormatException>(() => CompiledListFile.Open(path));
        Assert.Equal(path, error.FilePath);
        Assert.Equal("details.sums", error.Section);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);

        File.WriteAllBytes(path, bytes[..1000]);
        Assert.Equal("header", Assert.Throws<CompiledListFormatException>(() => CompiledListFile.Open(path)).Section);
    }

    [Theory]
    [InlineData("pdq.values")]
    [InlineData("pdq.ids")]
    [InlineData("pdq.mih")]
    [InlineData("md5.values")]
    [InlineData("md5.enabled")]
    [InlineData("details")]
    public void A_bit_flipped_column_is_refused_at_first_use_naming_the_file_and_the_section(string section)
    {
        var list = SampleList();
        var path = Compile(list);
        using (var check = CompiledListFile.Open(path))
        {
            check.VerifyAll();
        }

        var (offset, length) = SectionOf(path, section);
        var bytes = File.ReadAllBytes(path);
        bytes[offset + (length / 2)] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        using var file = CompiledListFile.Open(path);
        using var matcher = new ListMatcher([], [file], static () => new MultiIndexHammingIndex());
        var entries = list.Entries;
        var error = Assert.Throws<CompiledListFormatException>(() =>
        {
            // Every entry is asked for, so the damaged record of the details section is read too.
            foreach (var entry in entries)
            {
                matcher.Match(entry.SignalType == SignalTypes.Pdq ? new FileSignals { Pdq = PdqHash.Parse(entry.Value) } : new FileSignals { Md5 = entry.Value });
            }
        });
        Assert.Equal(section, error.Section);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("checksum", error.Message, StringComparison.Ordinal);
        Assert.Throws<CompiledListFormatException>(file.VerifyAll);
    }

    [Fact]
    public void A_flipped_header_and_foreign_files_are_refused_naming_the_header()
    {
        var path = Compile(SampleList());
        var bytes = File.ReadAllBytes(path);
        bytes[40] ^= 1;
        File.WriteAllBytes(path, bytes);
        var flipped = Assert.Throws<CompiledListFormatException>(() => CompiledListFile.Open(path));
        Assert.Equal("header", flipped.Section);
        Assert.Contains("checksum", flipped.Message, StringComparison.Ordinal);

        var csv = Path.Combine(_directory, "list.ndl");
        File.WriteAllText(csv, "hash,label\n" + string.Concat(Enumerable.Repeat("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef,x\n", 100)));
        var foreign = Assert.Throws<CompiledListFormatException>(() => CompiledListFile.Open(csv));
        Assert.Equal("header", foreign.Section);
        Assert.Contains("not a compiled Needle list", foreign.Message, StringComparison.Ordinal);
        Assert.False(CompiledListFile.HasCompiledHeader(csv));

        var index = Path.Combine(_directory, "index.ndl");
        PdqIndexFile.Write(index, PdqIndexData.FromHashes([RandomHash(new Random(3))], [1]));
        File.AppendAllText(index, new string(' ', 5000));
        Assert.Equal("header", Assert.Throws<CompiledListFormatException>(() => CompiledListFile.Open(index)).Section);
    }

    private int AssertSameMatches(HashList[] lists, List<FileSignals> queries, ListMatcherOptions options)
    {
        var path = Compile(lists);
        using var file = CompiledListFile.Open(path);
        using var source = new ListMatcher(lists, static () => new MultiIndexHammingIndex(), options);
        using var compiled = new ListMatcher([], [file], static () => new MultiIndexHammingIndex(), options);
        var matched = 0;
        foreach (var query in queries)
        {
            var expected = source.Match(query);
            var actual = compiled.Match(query);
            Assert.Equal(expected.Status, actual.Status);
            Assert.Equal(Describe(expected.Matches), Describe(actual.Matches));
            Assert.Equal(Describe(expected.AllowedBy), Describe(actual.AllowedBy));
            Assert.Equal(Describe(expected.SuppressedMatches), Describe(actual.SuppressedMatches));
            matched += expected.Status == MatchStatus.NoMatch ? 0 : 1;
        }

        return matched;
    }

    private static List<string> Describe(IReadOnlyList<ListMatch> matches) =>
        [.. matches
            .Select(m => string.Join(
                "|",
                m.ListName, m.ListKind, m.SignalType.Name, m.MatchedValue, m.Distance.ToString("R", CultureInfo.InvariantCulture), m.Transform,
                m.Entry.Id, m.Entry.Value, m.Entry.Enabled, m.Entry.Label, m.Entry.Category, m.Entry.Source,
                string.Join(";", m.Entry.Metadata.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value))))
            .Order(StringComparer.Ordinal)];

    private string Compile(params HashList[] lists)
    {
        var path = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".ndl");
        CompiledListWriter.Write(path, lists);
        return path;
    }

    [Fact]
    public void Multi_index_tables_hold_every_slot_in_its_bucket_in_slot_order()
    {
        // The tables are sorted a few substrings at a time in parallel; they must equal a plain stable sort, in order.
        var list = SampleList();
        var path = Compile(list);
        var pdq = list.EntriesOf(SignalTypes.Pdq);
        var words = new ulong[pdq.Count * PdqHash.WordCount];
        for (var i = 0; i < pdq.Count; i++)
        {
            PdqHash.Parse(pdq[i].Value).CopyTo(words.AsSpan(i * PdqHash.WordCount, PdqHash.WordCount));
        }

        var layout = SubstringLayout.Choose(pdq.Count, new PdqIndexOptions().MaxBucketTableBytesPerEntry)!;
        Assert.True(layout.Count > 4);
        var expected = new List<byte>();
        expected.AddRange(BitConverter.GetBytes(layout.Count));
        expected.AddRange(new byte[4]);
        for (var s = 0; s < layout.Count; s++)
        {
            var keys = new uint[pdq.Count];
            for (var slot = 0; slot < pdq.Count; slot++)
            {
                keys[slot] = SubstringLayout.Extract(ref words[slot * PdqHash.WordCount], layout.Offsets[s], layout.Widths[s]);
            }

            var slots = Enumerable.Range(0, pdq.Count).OrderBy(slot => keys[slot]).ThenBy(slot => slot).ToArray();
            var start = 0u;
            for (var bucket = 0u; bucket <= 1u << layout.Widths[s]; bucket++)
            {
                expected.AddRange(BitConverter.GetBytes(start));
                while (start < slots.Length && keys[slots[start]] == bucket)
                {
                    start++;
                }
            }

            foreach (var slot in slots)
            {
                expected.AddRange(BitConverter.GetBytes(slot));
            }
        }

        var (offset, length) = SectionOf(path, "pdq.mih");
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path).AsSpan(offset, length).ToArray());
    }

    private static HashList SampleList()
    {
        var random = new Random(5);
        var list = new HashList("sample");
        // Enough PDQ entries for the multi-index tables to beat a scan (so pdq.mih is written).
        for (var i = 0; i < 20_000; i++)
        {
            list.Add(new HashListEntry(SignalTypes.Pdq, RandomHash(random).ToString()) { Label = "p" + i.ToString(CultureInfo.InvariantCulture), Source = "s" });
            if (i % 4 == 0)
            {
                list.Add(new HashListEntry(SignalTypes.Md5, RandomHex(random, 16)) { Label = "m" + i.ToString(CultureInfo.InvariantCulture) });
            }
        }

        return list;
    }

    /// <summary>Where a section lies, read from the table (name at 32 + 48i, offset and length after it).</summary>
    private static (int Offset, int Length) SectionOf(string path, string name)
    {
        var bytes = File.ReadAllBytes(path);
        var count = BitConverter.ToInt32(bytes, 12);
        for (var i = 0; i < count; i++)
        {
            var row = 32 + (48 * i);
            if (System.Text.Encoding.ASCII.GetString(bytes, row, 16).TrimEnd('\0') == name)
            {
                return ((int)BitConverter.ToInt64(bytes, row + 16), (int)BitConverter.ToInt64(bytes, row + 24));
            }
        }

        throw new InvalidOperationException($"no section {name}");
    }

    private static PdqHash RandomHash(Random random) =>
        new((ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64(), (ulong)random.NextInt64() | 1);

    private static string RandomHex(Random random, int bytes)
    {
        var buffer = new byte[bytes];
        random.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }
}
