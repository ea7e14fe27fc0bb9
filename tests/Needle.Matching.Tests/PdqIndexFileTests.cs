using Needle.Matching.Index;

namespace Needle.Matching.Tests;

public sealed class PdqIndexFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("needle-index-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string WriteSample(int count, out MultiIndexHammingIndex index)
    {
        var random = new Random(13);
        var hashes = IndexTestData.ClusteredHashes(random, count);
        index = MultiIndexHammingIndex.BuildFrom(hashes, IndexTestData.Ids(count));
        if (count > 6)
        {
            index.SetEnabled(3, false);
            index.Remove(6);
            index.Add(-5, hashes[1]);
        }
        string path = Path.Combine(_directory, "sample.ndlx");
        PdqIndexFile.Write(path, index);
        return path;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(777)]
    public void Round_trip_keeps_ids_hashes_and_enabled_flags(int count)
    {
        string path = WriteSample(count, out var original);
        var loaded = PdqIndexFile.ReadMultiIndex(path);
        Assert.Equal(original.Count, loaded.Count);
        var expected = original.ExportData();
        var actual = loaded.ExportData();
        var expectedEntries = Enumerable.Range(0, expected.Count).Select(i => (expected.Ids[i], expected.HashAt(i), expected.IsEnabled(i))).OrderBy(e => e.Item1);
        var actualEntries = Enumerable.Range(0, actual.Count).Select(i => (actual.Ids[i], actual.HashAt(i), actual.IsEnabled(i))).OrderBy(e => e.Item1);
        Assert.Equal(expectedEntries, actualEntries);
        Assert.Empty(Directory.GetFiles(_directory, "*.tmp"));
    }

    [Fact]
    public void A_corrupted_byte_anywhere_is_refused_naming_the_file()
    {
        string path = WriteSample(300, out _);
        byte[] original = File.ReadAllBytes(path);
        foreach (int offset in new[] { 0, 9, 17, 30, 45, 48, 300, original.Length / 2, original.Length - 1 })
        {
            byte[] damaged = (byte[])original.Clone();
            damaged[offset] ^= 0x10;
            File.WriteAllBytes(path, damaged);
            var error = Assert.Throws<InvalidDataException>(() => PdqIndexFile.Read(path));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        string path = WriteSample(300, out _);
        byte[] original = File.ReadAllBytes(path);
        foreach (int length in new[] { 0, 20, 48, original.Length - 1 })
        {
            File.WriteAllBytes(path, original[..length]);
            var error = Assert.Throws<InvalidDataException>(() => PdqIndexFile.Read(path));
            Assert.Contains("sample.ndlx", error.Message, StringComparison.Ordinal);
            Assert.Contains(length < 48 ? "shorter than" : "truncated", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_file_with_the_wrong_magic_is_refused()
    {
        string path = Path.Combine(_directory, "not-an-index.bin");
        File.WriteAllBytes(path, new byte[200]);
        var error = Assert.Throws<InvalidDataException>(() => PdqIndexFile.Read(path));
        Assert.Contains("magic", error.Message, StringComparison.Ordinal);
        Assert.Contains("not-an-index.bin", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Writing_replaces_an_existing_file_atomically()
    {
        string path = WriteSample(100, out var index);
        index.Add(123_456, default);
        PdqIndexFile.Write(path, index);
        Assert.Equal(index.Count, PdqIndexFile.Read(path).Count);
        Assert.Single(Directory.GetFiles(_directory));
    }
}
