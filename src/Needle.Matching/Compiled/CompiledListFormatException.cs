namespace Needle.Matching.Compiled;

/// <summary>A compiled list file (<c>.ndl</c>) was refused: not one, of another version, truncated or damaged.</summary>
public sealed class CompiledListFormatException : IOException
{
    /// <summary>A refusal with no file or section named.</summary>
    public CompiledListFormatException()
    {
    }

    /// <summary>A refusal described by <paramref name="message"/> alone.</summary>
    public CompiledListFormatException(string message)
        : base(message)
    {
    }

    /// <summary>A refusal described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    public CompiledListFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A refusal of <paramref name="path"/> because its section <paramref name="section"/> has <paramref name="problem"/>.</summary>
    public CompiledListFormatException(string path, string section, string problem)
        : base($"{path}: section '{section}': {problem}")
    {
        FilePath = path;
        Section = section;
    }

    /// <summary>The file refused.</summary>
    public string? FilePath { get; }

    /// <summary>The section found wrong (<c>header</c>, <c>lists</c>, <c>pdq.values</c>, <c>details</c>, ...).</summary>
    public string? Section { get; }
}
