using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Application.Review;

/// <summary>An analyst's decision stored on its file but not yet spread to copies, the bundle or the organisation's list.</summary>
/// <param name="Decision">The stored decision (current on the file).</param>
/// <param name="File">The file decided, as it was read.</param>
/// <param name="Previous">The file's decision before this one, if any (what an undo restores).</param>
/// <param name="ApplyToBundle">Whether the spread also decides near-copies in the report's bundle.</param>
/// <param name="RemoteAddress">Where the analyst was, for the spread's audit entries.</param>
public sealed record RecordedDecision(FileDecision Decision, StoredFile File, FileDecision? Previous, bool ApplyToBundle, string? RemoteAddress);
