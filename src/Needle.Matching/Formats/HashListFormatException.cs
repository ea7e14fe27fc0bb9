namespace Needle.Matching.Formats;

/// <summary>A list file could not be imported.</summary>
public sealed class HashListFormatException : Exception
{
    public HashListFormatException()
        : this(null, [], 0, null)
    {
    }

    public HashListFormatException(string message)
        : base(message)
    {
        Errors = [];
    }

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

    public string? FileName { get; }

    /// <summary>The first errors (up to <see cref="ImportOptions.MaxErrorsInMessage"/>).</summary>
    public IReadOnlyList<ImportError> Errors { get; }

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
