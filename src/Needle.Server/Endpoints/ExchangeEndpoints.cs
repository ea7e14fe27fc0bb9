using Needle.Application.Exchanges;
using Needle.Application.Lists;
using Needle.Core.Exchanges;
using Needle.Core.Storage;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

internal sealed record ExchangeRequest(
    string? Name, string? Kind, string? List, Dictionary<string, string>? Settings, Dictionary<string, string>? Credentials, double? IntervalMinutes, bool? Enabled);

internal sealed record ExchangeResponse(
    Guid Id, string Name, string Kind, string List, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<string> Credentials, double IntervalMinutes, bool Enabled, DateTimeOffset CreatedAt)
{
    public static ExchangeResponse From(ExchangeView view) =>
        new(view.Id, view.Name, view.Kind, view.List, view.Settings, view.CredentialNames, view.Interval.TotalMinutes, view.Enabled, view.CreatedAt);
}

internal sealed record ExchangeStatusResponse(
    string Name, string Kind, string List, DateTimeOffset? LastFetch, DateTimeOffset? LastSuccess, string? Checkpoint, bool? Success, string? Error, string? Notice, long Added, long Removed, bool Running, DateTimeOffset? NextFetch, bool FullFetch, long Entries)
{
    public static ExchangeStatusResponse From(ExchangeView view, ExchangeStatus status) =>
        new(view.Name, view.Kind, view.List, status.LastFetch, status.LastSuccess, status.Checkpoint, status.Success, status.Error, status.Notice, status.Added, status.Removed, status.Running, status.NextFetch, status.FullFetch || status.FullFetchRequested, status.Entries);
}

internal sealed record ChangeResponse(int Id, bool? Removed, string? SignalType, string? Value, string? Label, string? Category, bool? Enabled, IReadOnlyDictionary<string, string>? Metadata);

internal sealed record ChangesResponse(string List, string Next, bool More, IReadOnlyList<ChangeResponse> Changes);

/// <summary>
/// Exchanges (admin): providers keeping a list in step. Credentials go in, never out (only their names come back).
/// Also the list change feed another Needle server follows with an <c>exchange</c> key.
/// </summary>
internal static class ExchangeEndpoints
{
    private const int MaxChangesPerPage = 5000;

    public static void Map(RouteGroupBuilder api)
    {
        var exchanges = api.MapGroup("/exchanges").RequireAuthorization(Policies.Admin).WithTags("Exchanges");
        exchanges.MapGet("", async (ExchangeService service, CancellationToken ct) =>
                TypedResults.Ok((await service.ListAsync(ct).ConfigureAwait(false)).Select(ExchangeResponse.From).ToList()))
            .WithSummary("The exchanges (credentials never shown, only their names).");
        exchanges.MapPost("", CreateAsync).Accepts<ExchangeRequest>("application/json").Produces<ExchangeResponse>(StatusCodes.Status201Created)
            .WithSummary("Create an exchange: {name, kind: needle|stopncii|ncmec|threatexchange, list, settings, credentials, intervalMinutes, enabled}.");
        exchanges.MapGet("/{name}", async (string name, ExchangeService service, CancellationToken ct) =>
                await service.GetAsync(name, ct).ConfigureAwait(false) is { } view ? Results.Ok(ExchangeResponse.From(view)) : NoExchange(name))
            .WithSummary("One exchange.");
        exchanges.MapPatch("/{name}", UpdateAsync).Accepts<ExchangeRequest>("application/json")
            .WithSummary("Change an exchange's settings, credentials (replaced whole), intervalMinutes or enabled.");
        exchanges.MapDelete("/{name}", async (string name, HttpContext context, ExchangeService service, CancellationToken ct) =>
                await service.DeleteAsync(name, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false) ? Results.NoContent() : NoExchange(name))
            .WithSummary("Delete an exchange (its list and entries stay).");
        exchanges.MapGet("/{name}/status", async (string name, ExchangeService service, CancellationToken ct) =>
                await service.GetStatusAsync(name, ct).ConfigureAwait(false) is { } found ? Results.Ok(ExchangeStatusResponse.From(found.Exchange, found.Status)) : NoExchange(name))
            .WithSummary("Where the exchange's fetching stands: {lastFetch, checkpoint, success, error, notice, added, removed}.");
        exchanges.MapPost("/{name}/fetch", async (string name, bool? full, HttpContext context, ExchangeService service, CancellationToken ct) =>
            {
                try
                {
                    await service.FetchNowAsync(name, full == true, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false);
                    return Results.Accepted($"/api/v1/exchanges/{Uri.EscapeDataString(name)}/status");
                }
                catch (ExchangeNotFoundException)
                {
                    return NoExchange(name);
                }
            })
            .WithSummary("Fetch now (queued; see the status). ?full=true fetches everything again and then removes what the provider no longer has.");

        api.MapGet("/lists/{name}/changes", ChangesAsync).RequireAuthorization(Policies.ExchangeOrAdmin).WithTags("Exchanges")
            .WithSummary("A list's changes after a cursor, for another Needle server to follow (exchange or admin key): ?after=CURSOR&limit=N.");
    }

    private static IResult NoExchange(string name) => Problems.NotFound($"There is no exchange named '{Problems.Echo(name)}'.");

    private static async Task<IResult> CreateAsync(HttpContext context, ExchangeService service, NeedleServerOptions options, CancellationToken ct)
    {
        var request = await JsonBody.ReadAsync<ExchangeRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(request.Name))
        {
            return Problems.BadRequest("An exchange needs a name.", ["name is required"]);
        }

        try
        {
            var view = await service.CreateAsync(request.Name, Definition(request), context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false);
            return TypedResults.Created($"/api/v1/exchanges/{Uri.EscapeDataString(view.Name)}", ExchangeResponse.From(view));
        }
        catch (ExchangeAlreadyExistsException ex)
        {
            return Problems.Conflict(ex.Message);
        }
        catch (ListNotFoundException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message, 300));
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }
    }

    private static async Task<IResult> UpdateAsync(string name, HttpContext context, ExchangeService service, NeedleServerOptions options, CancellationToken ct)
    {
        var request = await JsonBody.ReadAsync<ExchangeRequest>(context, options.MaxJsonBytes).ConfigureAwait(false);
        try
        {
            var view = await service.UpdateAsync(name, Definition(request), context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false);
            return Results.Ok(ExchangeResponse.From(view));
        }
        catch (ExchangeNotFoundException)
        {
            return NoExchange(name);
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }
    }

    private static ExchangeDefinition Definition(ExchangeRequest request) => new()
    {
        Kind = request.Kind,
        List = request.List,
        Settings = request.Settings,
        Credentials = request.Credentials,
        Interval = request.IntervalMinutes is { } minutes && double.IsFinite(minutes) && minutes is > 0 and < 1e6 ? TimeSpan.FromMinutes(minutes) : request.IntervalMinutes is null ? null : TimeSpan.Zero,
        Enabled = request.Enabled,
    };

    private static async Task<IResult> ChangesAsync(string name, string? after, int? limit, HashListService lists, INeedleStore store, CancellationToken ct)
    {
        if (lists.FindList(name) is null)
        {
            return Problems.NotFound($"There is no list named '{Problems.Echo(name)}'.");
        }

        if (limit is < 1 or > MaxChangesPerPage)
        {
            return Problems.BadRequest($"limit is 1 to {MaxChangesPerPage}.");
        }

        try
        {
            var page = await ListChangeFeed.ReadAsync(store.Lists, name, after, limit ?? 500, ct).ConfigureAwait(false);
            return Results.Ok(new ChangesResponse(
                name,
                page.Next,
                page.More,
                [.. page.Changes.Select(static c => c.Entry is { } e
                    ? new ChangeResponse(c.Id, null, e.SignalType.Name, e.Value, e.Label, e.Category, e.Enabled, e.Metadata)
                    : new ChangeResponse(c.Id, true, null, null, null, null, null, null))]));
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
        }
    }
}
