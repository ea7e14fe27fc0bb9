using System.Text.RegularExpressions;
using Needle.Testing;

namespace Needle.Architecture.Tests;

/// <summary>
/// File conventions the compiler does not check: one public type per file, named after it, in the product and the
/// load tools; nothing in the product that can drop a database.
/// </summary>
public sealed partial class SourceFileTests
{
    public static TheoryData<string> SourceTrees() => ["src", "tools"];

    [Theory]
    [MemberData(nameof(SourceTrees))]
    public void Each_file_holds_at_most_one_public_type_and_is_named_after_its_types(string tree)
    {
        var problems = new List<string>();
        var files = SourceFiles(tree);
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var declared = TopLevelType().Matches(File.ReadAllText(file)).Select(m => (Public: m.Groups["access"].Value == "public", Name: m.Groups["name"].Value)).ToList();
            if (declared.Count == 0)
            {
                continue;
            }

            var name = Path.GetFileNameWithoutExtension(file).Split('.')[0];
            var publicTypes = declared.Where(t => t.Public).Select(t => t.Name).ToList();
            if (publicTypes.Count > 1)
            {
                problems.Add($"{Relative(file)} declares {publicTypes.Count} public types: {string.Join(", ", publicTypes)}");
            }

            if (!declared.Any(t => t.Name == name))
            {
                problems.Add($"{Relative(file)} is named after none of its types ({string.Join(", ", declared.Select(t => t.Name))})");
            }
        }

        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void Nothing_in_the_product_creates_or_drops_a_database()
    {
        var offenders = SourceFiles("src")
            .Where(file => File.ReadAllText(file) is var text
                && (text.Contains("DROP DATABASE", StringComparison.OrdinalIgnoreCase) || text.Contains("CREATE DATABASE", StringComparison.OrdinalIgnoreCase)))
            .Select(Relative)
            .ToList();
        Assert.True(offenders.Count == 0, "Load tools live in tools/: " + string.Join(", ", offenders));
    }

    [Fact]
    public void The_type_scan_sees_the_types_of_a_known_file()
    {
        // Guards the scan itself: a regular expression that matched nothing would pass the convention test.
        var text = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "src", "Needle.Core", "Audit", "AuditChain.cs"));
        Assert.Contains(TopLevelType().Matches(text), m => m.Groups["name"].Value == "AuditChain");
    }

    private static List<string> SourceFiles(string tree) =>
        [.. Directory.EnumerateFiles(Path.Combine(TestPaths.RepositoryRoot, tree), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    private static string Relative(string file) => Path.GetRelativePath(TestPaths.RepositoryRoot, file);

    // A type declared at the start of a line: with file-scoped namespaces, exactly the top-level ones.
    [GeneratedRegex(@"^(?<access>public|internal|file)?\s*(?:(?:sealed|static|abstract|readonly|partial|unsafe|ref)\s+)*(?:class|record struct|record|interface|enum|struct)\s+(?<name>\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();
}
