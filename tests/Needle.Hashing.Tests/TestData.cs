using Needle.Testing;

namespace Needle.Hashing.Tests;

/// <summary>The PDQ test vectors (located by <see cref="TestPaths"/>) and the test project's own data files.</summary>
internal static class TestData
{
    /// <summary><c>testdata/pdq</c> in the repository.</summary>
    public static string PdqDirectory => TestPaths.Pdq;

    /// <summary>A file in <c>testdata/pdq/photos</c>.</summary>
    public static string Photo(string fileName) => TestPaths.PdqFile(Path.Combine("photos", fileName));

    /// <summary>A path under <c>testdata/pdq</c>.</summary>
    public static string Pdq(string relativePath) => TestPaths.PdqFile(relativePath);

    /// <summary>The hostile regression files copied next to the test assembly.</summary>
    public static string HostileDirectory => Path.Combine(AppContext.BaseDirectory, "data", "hostile");
}
