using Needle.Matching.Formats;

namespace Needle.Matching.Lists;

/// <summary>For <c>needle list verify</c>: re-parses a list file and reports invalid records and duplicate values.</summary>
public static class HashListVerifier
{
    public static VerifyReport Verify(Stream stream, ImportOptions? options = null, string? formatName = null, HashListFormats? formats = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var result = (formats ?? HashListFormats.Default).Read(stream, (options ?? new ImportOptions()) with { SkipInvalid = true }, formatName);
        var entries = result.List.Entries;
        return new VerifyReport(result.FormatName, result.RecordsRead, entries.Count, result.ErrorCount, result.Errors, HashListStats.FindDuplicates(entries));
    }
}
