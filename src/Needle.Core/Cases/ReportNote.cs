namespace Needle.Core.Cases;

/// <summary>One note of a report's thread: what an analyst wrote about the case as a whole (not about one file).</summary>
/// <param name="Id">The note's id, assigned by the store (increasing: the thread's order).</param>
/// <param name="ReportId">The report.</param>
/// <param name="Author">Who wrote it (an API key id).</param>
/// <param name="At">When.</param>
/// <param name="Text">What was written.</param>
public sealed record ReportNote(long Id, Guid ReportId, string Author, DateTimeOffset At, string Text);
