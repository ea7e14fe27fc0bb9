using System.Text;
using Needle.Hashing;
using Needle.Matching.Formats;
using Needle.Matching.Lists;
using Needle.Testing;

namespace Needle.Application.Tests;

/// <summary>Hash lists and signals built from the shared benign test photos.</summary>
internal static class TestLists
{
    /// <summary>A <c>needle hash</c>-style CSV of some photos, taken from the photos' expected.csv.</summary>
    public static string PhotoCsv(params string[] photoNames)
    {
        var lines = File.ReadAllLines(TestPaths.PdqFile("photos/expected.csv"));
        var builder = new StringBuilder("hash,quality,file\n");
        foreach (var name in photoNames)
        {
            builder.Append(lines.Single(l => l.EndsWith("/" + name, StringComparison.Ordinal))).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>Reads entries from list text with the format detected, as <c>needle list import</c> does.</summary>
    public static IReadOnlyList<HashListEntry> Import(string text, string fileName = "photos.csv")
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));
        return HashListFormats.Default.Read(stream, new ImportOptions { FileName = fileName }).List.Entries;
    }

    /// <summary>The PDQ (with dihedral variants) of a test image, as signals.</summary>
    public static FileSignals SignalsOf(string relativePath)
    {
        var hasher = new MediaFileHasher(new MediaHashOptions { Algorithms = HashAlgorithms.Pdq | HashAlgorithms.Md5, Dihedral = true }, new ImageDecoder());
        var hashed = hasher.Hash(TestPaths.PdqFile(relativePath));
        Assert.True(hashed.Succeeded, hashed.Error);
        return new FileSignals
        {
            Pdq = hashed.Pdq!.Value.Hash,
            PdqQuality = hashed.Pdq.Value.Quality,
            PdqDihedral = hashed.Dihedral!.Hashes.ToArray(),
            Md5 = hashed.Md5,
        };
    }
}
