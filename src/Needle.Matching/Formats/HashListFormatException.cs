namespace Needle.Matching.Formats;

/// <summary>A list file could not be imported.</summary>
public sealed class HashListFormatException : Exception
{
    /// <summary>An import failure with no file and no errors listed.</summary>
    public HashListFormatException()
        : this(null, [], 0, null)
    {
    }

    /// <summary>An import failure described by <paramref name="message"/> alone (no record errors listed).</summary>
    public HashListFormatException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>An import failure described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public HashListFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    internal HashListFormatException(string? fileName, IReadOnlyList<ImportError> errors, int errorCount, Exception? inner)
        : base(BuildMessage(fileName, errors, errorCount), inner)
    {
        FileName = fileName;
        Errors = errors;
        ErrorCount = errorCount;
    }

    /// <summary>The file being imported; null for an unnamed stream.</summary>
    public string? FileName { get; }

    /// <summary>The first errors (up to <see cref="ImportOptions.MaxErrorsInMessage"/>).</summary>
    public IReadOnlyList<ImportError> Errors { get; }

    /// <summary>Total number of invalid records, which may exceed the <see cref="Errors"/> listed.</summary>
    public int ErrorCount { get; }

    private static string BuildMessage(string? fileName, IReadOnlyList<ImportError> errors, int errorCount)
    {
        var name = fileName ?? "(stream)";
        var noun = errorCount == 1 ? "error" : "errors";
        var shown = string.Join("; ", errors);
        var more = errorCount > errors.Count ? $"; and {errorCount - errors.Count} more" : string.Empty;
        return $"{name}: {errorCount} {noun}, nothing imported: {shown}{more}";
    }
}
