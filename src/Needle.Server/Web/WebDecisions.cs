using System.Text.Json;
using Needle.Triage;

namespace Needle.Server.Web;

/// <summary>What the report page asks of the triage service: a decision on a file, a false positive on a match. Returns the sentence shown to the reviewer.</summary>
internal interface IWebDecisions
{
    Task<string> DecideAsync(Guid fileId, DecisionCategory category, string? note, bool applyToBundle, string actor, string? remoteAddress, CancellationToken cancellationToken);

    Task<string> MarkFalsePositiveAsync(Guid fileId, string listName, int entryId, string? note, string actor, string? remoteAddress, CancellationToken cancellationToken);
}

/// <summary>Decisions stored straight through <see cref="ITriageStore.DecideAsync"/>, for a server without the triage service.</summary>
internal sealed class StoreWebDecisions(INeedleStore store, TimeProvider time) : IWebDecisions
{
    public async Task<string> DecideAsync(Guid fileId, DecisionCategory category, string? note, bool applyToBundle, string actor, string? remoteAddress, CancellationToken cancellationToken)
    {
        var decision = new NewDecision { FileId = fileId, Category = category, Note = note, Source = DecisionSource.Analyst, Actor = actor, At = time.GetUtcNow() };
        var stored = await store.Triage.DecideAsync([decision],
            new AuditEntryDraft(actor, "decision.record", $"file/{fileId:N}", JsonSerializer.Serialize(new { category = (int)category, note }), remoteAddress),
            cancellationToken).ConfigureAwait(false);
        return stored.Count > 0 ? "Decision recorded." : "Nothing changed.";
    }

    public Task<string> MarkFalsePositiveAsync(Guid fileId, string listName, int entryId, string? note, string actor, string? remoteAddress, CancellationToken cancellationToken) =>
        Task.FromResult("False positives need the triage service, which this server does not run.");
}
