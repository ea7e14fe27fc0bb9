namespace Needle.Application.Intake;

/// <summary>A submission was refused; <see cref="Errors"/> lists every problem found (the message lists them too).</summary>
public sealed class ReportValidationException : Exception
{
    public ReportValidationException(IReadOnlyList<string> errors)
        : base(BuildMessage(errors))
    {
        Errors = errors;
    }

    public IReadOnlyList<string> Errors { get; }

    private static string BuildMessage(IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return errors.Count == 0 ? "The report is invalid." : "The report is invalid: " + string.Join("; ", errors);
    }
}
