using System.Globalization;
using Microsoft.Extensions.Logging;
using Needle.Application.Review;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Server.Web;

/// <summary>
/// The report page's decisions and false positives, through the same triage services as the API
/// (<see cref="DecisionService"/>, <see cref="FalsePositiveService"/>), with an undo: a decision made here is stored on
/// its file at once and spreads to copies, the bundle and the organisation's list only when its undo window has passed
/// (<see cref="DecisionUndoWindow"/>). A false positive goes to the allow list at once (the page asks first). All
/// audited there. Returns what the reviewer reads.
/// </summary>
internal sealed partial class WebDecisions(FalsePositiveService falsePositives, DecisionUndoWindow window)
{
    /// <summary>How long a decision made on the pages can be undone.</summary>
    public TimeSpan UndoWindow => window.Window;

    /// <summary>The reviewer's decisions on a report still inside their undo window.</summary>
    public IReadOnlyList<PendingDecision> Pending(Guid reportId, string actor) => window.PendingFor(reportId, actor);

    /// <summary>
    /// One decision for each of <paramref name="files"/> (all of one report), each through the decision service and
    /// audited on its own. With <paramref name="category"/> null, each file takes the category of the known list it
    /// matched (files without one, or whose lists disagree, are left undecided and named in the answer).
    /// </summary>
    public async Task<BatchDecision> DecideAsync(IReadOnlyList<StoredFile> files, DecisionCategory? category, string? note, bool applyToBundle,
        string actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        var decided = new List<BatchDecision.Decided>(files.Count);
        var skipped = new List<string>();
        foreach (var file in files)
        {
            var chosen = category ?? ListCategory(file);
            if (chosen is not { } value)
            {
                skipped.Add($"File {file.Ordinal + 1}: no list category to accept");
                continue;
            }

            var pending = await window.DecideAsync(file.Id, value, note, applyToBundle, actor, remoteAddress, cancellationToken).ConfigureAwait(false);
            decided.Add(new BatchDecision.Decided(file.Id, file.Ordinal, pending.DecisionId, value, pending.SpreadAt));
        }

        return new BatchDecision(decided, skipped, Sentence(decided, skipped));
    }

    /// <summary>Takes back the reviewer's decisions still inside their window; those past it are named in the answer.</summary>
    public async Task<(IReadOnlyList<UndoneDecision> Undone, int Missed)> UndoAsync(IReadOnlyList<long> decisionIds, string actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        var undone = new List<UndoneDecision>();
        var missed = 0;
        foreach (var id in decisionIds)
        {
            if (await window.UndoAsync(id, actor, remoteAddress, cancellationToken).ConfigureAwait(false) is { } done)
            {
                undone.Add(done);
            }
            else
            {
                missed++;
            }
        }

        return (undone, missed);
    }

    /// <summary>
    /// The Project VIC category (0-4) the file's known lists give it: the one category of its known (not allow-list)
    /// matches, null when they give none or disagree.
    /// </summary>
    public static DecisionCategory? ListCategory(StoredFile file)
    {
        DecisionCategory? found = null;
        foreach (var match in file.Matches)
        {
            if (match.AllowList || match.Category is null ||
                !int.TryParse(match.Category.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 0 or > 4)
            {
                continue;
            }

            var category = (DecisionCategory)number;
            if (found is { } other && other != category)
            {
                return null;
            }

            found = category;
        }

        return found;
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

    private string Sentence(List<BatchDecision.Decided> decided, List<string> skipped)
    {
        var text = decided.Count switch
        {
            0 => "Nothing decided.",
            1 => $"File {decided[0].Ordinal + 1}: {WebEndpoints.CategoryText(decided[0].Category)}.",
            _ => $"{decided.Count} files decided.",
        };
        if (decided.Count > 0 && window.Window > TimeSpan.Zero)
        {
            text += $" Undo possible for {Format.Span(window.Window)}; then it applies to copies in other reports.";
        }

        if (skipped.Count > 0)
        {
            text += " Not decided: " + string.Join("; ", skipped) + ".";
        }

        return text;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A decision could not spread to its copies; the decision itself is stored")]
    public static partial void LogSpreadFailed(ILogger logger, Exception exception);
}
