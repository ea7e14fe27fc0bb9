using Needle.Matching.Formats;

namespace Needle.Matching.Lists;

/// <summary>For <c>needle list verify</c>: re-parses a list file and reports invalid records and duplicate values.</summary>
public static class HashListVerifier
{
    /// <summary>Reads the whole list, skipping and counting invalid records, and finds duplicate values.</summary>
    /// <param name="stream">The list file.</param>
    /// <param name="options">Import options; <see cref="ImportOptions.SkipInvalid"/> is always on.</param>
    /// <param name="formatName">Forces a format; null detects it.</param>
    /// <param name="formats">The formats to choose from; null for <see cref="HashListFormats.Default"/>.</param>
    /// <exception cref="HashListFormatException">The format cannot be detected, or the file is broken beyond single records.</exception>
    public static VerifyReport Verify(Stream stream, ImportOptions? options = null, string? formatName = null, HashListFormats? formats = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var result = (formats ?? HashListFormats.Default).Read(stream, (options ?? new ImportOptions()) with { SkipInvalid = true }, formatName);
        var entries = result.List.Entries;
        return new VerifyReport(result.FormatName, result.RecordsRead, entries.Count, result.ErrorCount, result.Errors, HashListStats.FindDuplicates(entries));
    }
}
