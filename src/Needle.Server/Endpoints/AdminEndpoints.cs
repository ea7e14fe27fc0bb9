using System.Globalization;
using Needle.Application.Access;
using Needle.Application.Lists;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Storage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record CreateKeyRequest(string? Name, ApiRole? Role, DateTimeOffset? ExpiresAt);

internal sealed record KeyResponse(Guid Id, string Name, ApiRole Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt)
{
    public static KeyResponse From(ApiKeyRecord r) => new(r.Id, r.Name, r.Role, r.CreatedAt, r.ExpiresAt, r.RevokedAt);
}

internal sealed record CreatedKeyResponse(Guid Id, string Name, ApiRole Role, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Key);

internal sealed record AuditPage(IReadOnlyList<AuditEntry> Items, long? Next);

/// <summary>API keys (admin), the audit log (auditor) and health probes (anonymous).</summary>
internal static class AdminEndpoints
{
    private const int MaxAuditPage = 1000;

    public static void MapKeys(RouteGroupBuilder api)
    {
        var keys = api.MapGroup("/keys").RequireAuthorization(Policies.Admin).WithTags("Keys");
        keys.MapPost("", CreateKeyAsync).Accepts<CreateKeyRequest>("application/json").Produces<CreatedKeyResponse>(StatusCodes.Status201Created)
            .WithSummary("Create a key {name, role: submitter|reviewer|admin|auditor|integration, expiresAt}; the key text is in this answer only.");
        keys.MapGet("", async (INeedleStore store, CancellationToken ct) =>
                TypedResults.Ok((await store.Keys.ListAsync(ct).ConfigureAwait(false)).Select(KeyResponse.From).ToList()))
            .WithSummary("The keys (never their secrets).");
        keys.MapDelete("/{id:guid}", RevokeKeyAsync).WithSummary("Revoke a key; it stops working at once on this server.");
    }

    public static void MapAudit(RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").RequireAuthorization(Policies.Auditor).WithTags("Audit");
        audit.MapGet("", ReadAuditAsync).WithSummary("Audit entries after a sequence number (?after=0&limit=100), in order; 'next' is the after of the next page.");
        audit.MapGet("/verify", async (INeedleStore store, CancellationToken ct) =>
                TypedResults.Ok(await AuditChain.VerifyAsync(store.Audit, ct).ConfigureAwait(false)))
            .WithSummary("Walk the hash chain: isIntact, entriesChecked, brokenAtSequence, problem.");
    }

    public static void MapHealth(IEndpointRouteBuilder app)
    {
        // The only anonymous routes: a load balancer or orchestrator probes them without a key. They reveal nothing.
        app.MapGet("/livez", () => TypedResults.Ok(new { status = "alive" })).AllowAnonymous().WithTags("Health")
            .WithSummary("The process is up.");
        app.MapGet("/readyz", async (INeedleStore store, HashListService host, CancellationToken ct) =>
                await store.IsHealthyAsync(ct).ConfigureAwait(false) && host.Matcher is not null
                    ? Results.Ok(new { status = "ready", lists = host.Lists.Count, listSequence = host.Sequence })
                    : Results.Json(new { status = "unavailable" }, statusCode: StatusCodes.Status503ServiceUnavailable))
            .AllowAnonymous().WithTags("Health")
            .WithSummary("The database answers and the lists are loaded.");
    }

    private static async Task<IResult> CreateKeyAsync(HttpContext context, ApiKeyService keys, NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var request = await JsonBody.ReadAsync<CreateKeyRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            errors.Add("name is required");
        }

        if (request.Role is not { } role || !Enum.IsDefined(role))
        {
            errors.Add("role must be submitter, reviewer, admin, auditor or integration");
            role = default;
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("The key cannot be created.", errors);
        }

        try
        {
            var created = await keys.CreateAsync(request.Name!, role, request.ExpiresAt, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);
            var r = created.Record;
            context.Response.Headers.CacheControl = "no-store";
            return TypedResults.Created($"/api/v1/keys/{r.Id}", new CreatedKeyResponse(r.Id, r.Name, r.Role, r.CreatedAt, r.ExpiresAt, created.Key));
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(ex.Message.Split(" (Parameter", 2)[0]);
        }
    }

    private static async Task<IResult> RevokeKeyAsync(Guid id, HttpContext context, ApiKeyService keys, ApiKeyCache cache, CancellationToken cancellationToken)
    {
        var revoked = await keys.RevokeAsync(id, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), cancellationToken).ConfigureAwait(false);

        // Dropped from the cache whatever the answer: a key revoked elsewhere meanwhile stops here at once too.
        cache.Invalidate(id);
        return revoked ? Results.NoContent() : Problems.NotFound($"No active key {id}.");
    }

    private static async Task<IResult> ReadAuditAsync(string? after, string? limit, INeedleStore store, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        long afterSequence = 0;
        var pageSize = 100;
        if (after is not null && (!long.TryParse(after, CultureInfo.InvariantCulture, out afterSequence) || afterSequence < 0))
        {
            errors.Add("after must be a sequence number (0 or more)");
        }

        if (limit is not null && (!int.TryParse(limit, CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxAuditPage))
        {
            errors.Add($"limit must be 1 to {MaxAuditPage}");
        }

        if (errors.Count > 0)
        {
            return Problems.BadRequest("Invalid query parameters.", errors);
        }

        var entries = await store.Audit.ReadAsync(afterSequence, pageSize, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new AuditPage(entries, entries.Count == pageSize ? entries[^1].Sequence : null));
    }
}
