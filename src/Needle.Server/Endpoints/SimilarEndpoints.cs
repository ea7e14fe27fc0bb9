using System.Text.Json;
using Needle.Application.Triage;
using Needle.Core.Audit;
using Needle.Core.Reports;
using Needle.Core.Storage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record SimilarItem(Guid Report, Guid File, double Similarity);

internal sealed record SimilarResponse(Guid File, Guid Report, IReadOnlyList<SimilarItem> Items);

/// <summary>
/// <c>GET /api/v1/files/{id}/similar</c>: files of other reports ranked by the similarity of their global descriptors
/// (the same scene, the same room or bedding, not only copies), the file's own bundle left out (the reports linked to it
/// through its media are shown as related already; <c>includeBundle=true</c> keeps them, never the file's own report). Audited as
/// <c>file.similar</c> before anything is answered.
/// </summary>
internal static class SimilarEndpoints
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/files/{id:guid}/similar", GetAsync)
            .RequireAuthorization(Policies.Reviewer)
            .WithSummary("Files of other reports most similar to this one by the robust tier's descriptor (same scene, not only copies), best first: ?limit=1..100 (default 20), its own bundle excluded unless includeBundle=true (its own report always); audited as file.similar.");
    }

    /// <summary>The file and its most similar files of other reports (outside its bundle unless <paramref name="includeBundle"/>); null file when there is none.</summary>
    public static async Task<(StoredFile? File, IReadOnlyList<SimilarFile> Similar)> FindAsync(
        Guid fileId, int limit, bool includeBundle, INeedleStore store, SimilarMediaIndex similar, ScoringOptions scoring, CancellationToken cancellationToken)
    {
        var file = await store.Reports.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return (null, []);
        }

        if (await similar.GetFeaturesAsync(fileId, cancellationToken).ConfigureAwait(false) is not { } features)
        {
            return (file, []);
        }

        var excluded = new HashSet<Guid> { file.ReportId };
        if (!includeBundle)
        {
            excluded.UnionWith(await store.Triage.GetBundleAsync(file.ReportId, scoring.MaxBundleReports, cancellationToken).ConfigureAwait(false));
        }

        return (file, await similar.FindAsync(features.Descriptor, excluded, limit, cancellationToken: cancellationToken).ConfigureAwait(false));
    }

    private static async Task<IResult> GetAsync(
        Guid id, int? limit, bool? includeBundle, HttpContext context, INeedleStore store, ScoringOptions scoring, IServiceProvider services, CancellationToken cancellationToken)
    {
        var count = limit ?? DefaultLimit;
        if (count is < 1 or > MaxLimit)
        {
            return Problems.BadRequest($"limit must be 1 to {MaxLimit}.");
        }

        if (services.GetService<SimilarMediaIndex>() is not { } similar)
        {
            return Problems.Conflict("The robust tier is off on this server (needle serve --robust off): similar files are not computed.");
        }

        var (file, found) = await FindAsync(id, count, includeBundle ?? false, store, similar, scoring, cancellationToken).ConfigureAwait(false);
        if (file is null)
        {
            return Problems.NotFound($"No file {id}.");
        }

        // Audited before anything is answered: which reports a reviewer was pointed to is part of the record.
        var details = JsonSerializer.Serialize(new { report = file.ReportId, limit = count, includeBundle = includeBundle ?? false, found = found.Count });
        await store.Audit.AppendAsync(new AuditEntryDraft(context.User.Actor(), "file.similar", $"file/{id:N}", details,
            context.Connection.RemoteIpAddress?.ToString()), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new SimilarResponse(file.Id, file.ReportId, [.. found.Select(f => new SimilarItem(f.ReportId, f.FileId, f.Similarity))]));
    }
}
