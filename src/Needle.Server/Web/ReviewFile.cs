using Needle.Core.Reports;
using Needle.Core.Triage;

// The page models are public only because the Razor components that render them must be public.
namespace Needle.Server.Web;

/// <summary>One file of a report as the report page shows it.</summary>
public sealed record ReviewFile(
    StoredFile File,
    FileDecision? Current,
    IReadOnlyList<FileDecision> History,
    bool IsVideo,
    bool CanPreview)
{
    /// <summary>The Project VIC category its known lists give it, when they agree on one (the "accept" key).</summary>
    public DecisionCategory? ListCategory { get; init; }

    /// <summary>For a video: how many keyframes its strip shows (scene changes, or evenly spaced).</summary>
    public int Keyframes { get; init; }

    /// <summary>The feedback given to exchange providers on the entries this file matched (any file's), oldest first.</summary>
    public IReadOnlyList<Needle.Core.Exchanges.StoredExchangeFeedback> Feedback { get; init; } = [];

    /// <summary>The feedback on one match's entry, oldest first.</summary>
    public IEnumerable<Needle.Core.Exchanges.StoredExchangeFeedback> FeedbackOn(StoredMatch match)
    {
        ArgumentNullException.ThrowIfNull(match);
        return Feedback.Where(f => f.Feedback.EntryId == match.EntryId && string.Equals(f.Feedback.ListName, match.ListName, StringComparison.Ordinal));
    }
}
