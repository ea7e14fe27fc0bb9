using Needle.Core.Triage;
using Needle.Matching.Lists;

namespace Needle.Application.Review;

/// <summary>What one analyst decision stored.</summary>
/// <param name="Decision">The analyst's decision on the file.</param>
/// <param name="Carried">The same decision applied to undecided copies (same hash) and, when asked, near-copies in the bundle.</param>
/// <param name="OrganisationListEntries">Entries of the organisation's list added or enabled for this file (confirmed new material).</param>
/// <param name="OrganisationListEntriesDisabled">Entries disabled because the decision was revised away from child abuse material.</param>
public sealed record DecisionResult(
    FileDecision Decision,
    IReadOnlyList<FileDecision> Carried,
    IReadOnlyList<HashListEntry> OrganisationListEntries,
    int OrganisationListEntriesDisabled);
