using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Needle.Core.Audit;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Core.Triage;

namespace Needle.Server.Web;

/// <summary>
/// The report page's working actions: one decision for many files (a selection or a series) in one request, undo, and
/// the next unclaimed report. Forms without the script (the answer is a redirect with a notice), fetch requests from
/// it (<c>Accept: application/json</c>, the answer is JSON and the page is not reloaded).
/// </summary>
internal static class ReviewActions
{
    private const int MaxBatch = 1000;

    public static void Map(RouteGroupBuilder web)
    {
        web.MapPost("/reports/{id:guid}/decisions", DecideManyAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/reports/{id:guid}/undo", UndoAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/queue/next", NextAsync).RequireAuthorization(WebSession.Reviewer);
    }

    private static bool WantsJson(HttpContext context) =>
        context.Request.Headers.Accept.Any(static a => a is not null && a.Contains("application/json", StringComparison.OrdinalIgnoreCase));

    private static IResult Answer(HttpContext context, string back, string sentence, bool error, object json) =>
        WantsJson(context)
            ? Results.Json(json, statusCode: error ? StatusCodes.Status400BadRequest : StatusCodes.Status200OK)
            : Results.Redirect(back + (back.Contains('?', StringComparison.Ordinal) ? "&" : "?") + (error ? "error=" : "notice=") + Uri.EscapeDataString(sentence));

    private static async Task<IResult> DecideManyAsync(Guid id, HttpContext context, INeedleStore store, TimeProvider time, WebDecisions decisions,
        IFormCollection form, [FromForm(Name = "category")] string? category, [FromForm(Name = "accept")] string? accept,
        [FromForm(Name = "note")] string? note, [FromForm(Name = "bundle")] string? bundle, [FromForm(Name = "confirmBundle")] string? confirmBundle,
        CancellationToken cancellationToken)
    {
        var back = $"/reports/{id}";
        var user = WebUser.From(context.User);
        if (await WebEndpoints.HeldByOtherAsync(id, user, store, time, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        DecisionCategory? chosen = null;
        if (accept != "list")
        {
            if (!WebEndpoints.TryParseCategory(category, out var parsed))
            {
                return Answer(context, back, "Choose a category (0-4) or needs escalation.", true, new { error = "Choose a category (0-4) or needs escalation." });
            }

            chosen = parsed;
        }

        if (bundle == "on" && confirmBundle != "yes")
        {
            const string Ask = "Applying to the bundle decides files in other reports: confirm it (the reports are listed under the box).";
            return Answer(context, back, Ask, true, new { error = Ask });
        }

        var report = await store.Reports.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            return Answer(context, "/queue", "There is no such report.", true, new { error = "There is no such report." });
        }

        var wanted = new HashSet<Guid>();
        foreach (var text in form["file"])
        {
            if (!Guid.TryParse(text, out var fileId) || wanted.Count >= MaxBatch)
            {
                return Answer(context, back, "A selected file is not valid.", true, new { error = $"'{Http.Problems.Echo(text ?? "")}' is not a file of this report (at most {MaxBatch} at once)." });
            }

            wanted.Add(fileId);
        }

        var files = new List<StoredFile>(wanted.Count);
        foreach (var file in report.Files)
        {
            if (wanted.Remove(file.Id))
            {
                files.Add(file);
            }
        }

        if (wanted.Count > 0)
        {
            return Answer(context, back, "A selected file is not part of this report.", true, new { error = "A selected file is not part of this report." });
        }

        if (files.Count == 0)
        {
            return Answer(context, back, "Select one or more files first.", true, new { error = "Select one or more files first." });
        }

        var outcome = await decisions.DecideAsync(files, chosen, string.IsNullOrWhiteSpace(note) ? null : note.Trim(), bundle == "on", user.Actor,
            context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        return Answer(context, back, outcome.Sentence, false, new
        {
            message = outcome.Sentence,
            undoSeconds = (int)decisions.UndoWindow.TotalSeconds,
            decisions = outcome.Files.Select(static d => new
            {
                file = d.FileId.ToString("N"),
                decision = d.DecisionId,
                category = d.Category == DecisionCategory.NeedsEscalation ? "e" : ((int)d.Category).ToString(CultureInfo.InvariantCulture),
                text = WebEndpoints.CategoryText(d.Category),
                spreadAt = d.SpreadAt,
            }),
            skipped = outcome.Skipped,
        });
    }

    private static async Task<IResult> UndoAsync(Guid id, HttpContext context, WebDecisions decisions,
        IFormCollection form, CancellationToken cancellationToken)
    {
        var decisionIds = new List<long>();
        foreach (var text in form["decision"])
        {
            if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var decisionId))
            {
                decisionIds.Add(decisionId);
            }
        }

        var back = $"/reports/{id}";
        var user = WebUser.From(context.User);
        if (decisionIds.Count == 0)
        {
            return Answer(context, back, "Nothing to undo.", true, new { error = "Nothing to undo." });
        }

        var (undone, missed) = await decisions.UndoAsync(decisionIds, user.Actor, context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
        var sentence = undone.Count switch
        {
            0 => "Too late to undo: the decision has spread to its copies. Decide the file again to revise it.",
            1 => "Decision undone: nothing was applied to its copies.",
            _ => $"{undone.Count} decisions undone: nothing was applied to their copies.",
        };
        if (undone.Count > 0 && missed > 0)
        {
            sentence += $" {missed} could not be undone any more.";
        }

        return Answer(context, back, sentence, undone.Count == 0, new
        {
            message = sentence,
            undone = undone.Select(static u => new
            {
                file = u.FileId.ToString("N"),
                decision = u.DecisionId,
                restored = u.Restored is { } r ? WebEndpoints.CategoryText(r.Category) : null,
            }),
        });
    }

    /// <summary>
    /// Leaves the report the reviewer was on (their claim on it ends) and opens the next report awaiting review that
    /// nobody else holds, claimed for them.
    /// </summary>
    private static async Task<IResult> NextAsync(HttpContext context, INeedleStore store, TimeProvider time,
        [FromForm(Name = "from")] Guid? from, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var remote = context.Connection.RemoteIpAddress?.ToString();
        if (from is { } left)
        {
            await store.Triage.ReleaseClaimAsync(left, user.Actor, force: false,
                new AuditEntryDraft(user.Actor, "report.release", $"report/{left:N}", null, remote), cancellationToken).ConfigureAwait(false);
        }

        string? after = null;
        for (var pages = 0; pages < 20; pages++)
        {
            var now = time.GetUtcNow();
            var page = await store.Triage.QueueAsync(new QueueQuery
            {
                ExcludeClaimedByOthers = true,
                Viewer = user.Actor,
                After = after,
                Limit = 50,
            }, now, cancellationToken).ConfigureAwait(false);
            foreach (var item in page.Items)
            {
                if (item.Report.Id == from || item.Claim is not null)
                {
                    continue;
                }

                var claimed = await store.Triage.TryClaimAsync(item.Report.Id, user.Actor, now, now + TimeSpan.FromMinutes(30),
                    new AuditEntryDraft(user.Actor, "report.claim", $"report/{item.Report.Id:N}", null, remote), cancellationToken).ConfigureAwait(false);
                if (claimed is { Granted: true })
                {
                    return Results.Redirect($"/reports/{item.Report.Id}");
                }
            }

            if (page.Next is null)
            {
                break;
            }

            after = page.Next;
        }

        return Results.Redirect("/queue?notice=" + Uri.EscapeDataString("No unclaimed report is waiting: every report awaiting review is held by someone."));
    }
}
