namespace Needle.Application.Intake;

/// <summary>A submission was refused; <see cref="Errors"/> lists every problem found (the message lists them too).</summary>
public sealed class ReportValidationException : Exception
{
    /// <summary>A refusal listing <paramref name="errors"/>.</summary>
    public ReportValidationException(IReadOnlyList<string> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    /// <summary>Every problem found, each naming the field or media part at fault.</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string BuildMessage(IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 0 ? "The report is invalid." : "The report is invalid: " + string.Join("; ", errors);
    }
}
