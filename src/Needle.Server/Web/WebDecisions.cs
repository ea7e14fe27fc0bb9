using Needle.Application.Review;
using Needle.Core.Triage;

namespace Needle.Server.Web;

/// <summary>
/// The report page's decisions and false positives, through the same triage services as the API
/// (<see cref="DecisionService"/>, <see cref="FalsePositiveService"/>): copies and bundles are decided with the file,
/// confirmed new material goes to the organisation's list, a false positive goes to the allow list; all audited there.
/// Returns the sentence the reviewer reads.
/// </summary>
internal sealed class WebDecisions(DecisionService decisions, FalsePositiveService falsePositives)
{
    public async Task<string> DecideAsync(Guid fileId, DecisionCategory category, string? note, bool applyToBundle, string actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        var result = await decisions.DecideAsync(fileId, category, note, applyToBundle, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
        var sentence = "Decision recorded.";
        if (result.Carried.Count > 0)
        {
            sentence += $" Also applied to {result.Carried.Count} cop{(result.Carried.Count == 1 ? "y" : "ies")} of it.";
        }

        if (result.OrganisationListEntries.Count > 0)
        {
            sentence += " Added to the organisation's list: its next copy will match.";
        }

        if (result.OrganisationListEntriesDisabled > 0)
        {
            sentence += " Its organisation-list entries are disabled.";
        }

        return sentence;
    }

    public async Task<(bool Done, string Sentence)> MarkFalsePositiveAsync(Guid fileId, string listName, int entryId, string? note, string actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        try
        {
            var allowed = await falsePositives.MarkAsync(fileId, listName, entryId, note, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
            return (true, $"Marked as a false positive: entry {entryId} of '{listName}' is on the allow list (entry {allowed.Id}) and stops matching.");
        }
        catch (Exception ex) when (ex is KeyNotFoundException or ArgumentException)
        {
            return (false, ex.Message);
        }
    }
}
