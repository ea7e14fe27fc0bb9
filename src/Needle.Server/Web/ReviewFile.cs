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

    /// <summary>The most similar files of reports outside this one's bundle (the robust tier's descriptor), best first; none when the tier is off.</summary>
    public IReadOnlyList<Needle.Application.Triage.SimilarFile> Similar { get; init; } = [];
}
