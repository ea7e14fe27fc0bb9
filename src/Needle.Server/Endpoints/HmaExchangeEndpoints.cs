using System.Globalization;
using System.Text.Json.Nodes;
using Needle.Application.Exchanges;
using Needle.Application.Lists;
using Needle.Core.Exchanges;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

/// <summary>
/// HMA's exchange routes (hasher-matcher-actioner's curation blueprint) over Needle's exchanges, for HMA clients such
/// as Coop's hmaService: an HMA exchange is a bank fed by an exchange of the same name. HMA's API names map to
/// Needle's kinds (fb_threatexchange, ncmec, stop_ncii, needle). Credentials are set per API as in HMA (they apply to
/// every exchange of that API) and are never returned.
/// </summary>
internal static class HmaExchangeEndpoints
{
    private static readonly Dictionary<string, string> Apis = new(StringComparer.Ordinal)
    {
        ["fb_threatexchange"] = ExchangeKinds.ThreatExchange,
        ["ncmec"] = ExchangeKinds.Ncmec,
        ["stop_ncii"] = ExchangeKinds.StopNcii,
        ["needle"] = ExchangeKinds.Needle,
    };

    // HMA's credential field names, per API, to Needle's.
    private static readonly Dictionary<string, string> CredentialNames = new(StringComparer.Ordinal)
    {
        ["api_token"] = "accessToken",
        ["user"] = "username",
        ["username"] = "username",
        ["password"] = "password",
        ["subscription_key"] = "subscriptionKey",
        ["fetch_function_key"] = "fetchFunctionKey",
        ["feedback_function_key"] = "feedbackFunctionKey",
        ["api_key"] = "apiKey",
    };

    // HMA's exchange config fields to Needle's settings.
    private static readonly Dictionary<string, string> SettingNames = new(StringComparer.Ordinal)
    {
        ["privacy_group"] = "privacyGroup",
        ["environment"] = "environment",
        ["base_url"] = "baseUrl",
        ["list"] = "list",
        ["page_size"] = "pageSize",
    };

    public static void Map(IEndpointRouteBuilder app)
    {
        var curation = app.MapGroup("/c").RequireAuthorization(Policies.HmaCuration).WithTags("HMA exchanges");
        curation.MapGet("/exchanges/apis", () => TypedResults.Ok(Apis.Keys.ToList())).WithSummary("The exchange APIs.");
        curation.MapGet("/exchanges/api/{api}", ApiAsync).WithSummary("Whether an exchange API takes credentials and has them.");
        curation.MapPost("/exchanges/api/{api}", SetApiCredentialsAsync).WithSummary("Set an exchange API's credentials: {credential_json: {...}} (never returned).");
        curation.MapGet("/exchanges/api/{api}/schema", Schema).WithSummary("The fields of an exchange API's config and credentials.");
        curation.MapGet("/exchanges", async (ExchangeService service, CancellationToken ct) =>
            TypedResults.Ok((await service.ListAsync(ct).ConfigureAwait(false)).Select(static e => e.Name).ToList())).WithSummary("The exchanges' names.");
        curation.MapPost("/exchanges", CreateAsync).WithSummary("Create an exchange and its bank: {bank, api, api_json}.");
        curation.MapGet("/exchange/{name}", async (string name, ExchangeService service, CancellationToken ct) =>
            await service.GetAsync(name, ct).ConfigureAwait(false) is { } view ? Results.Ok(Config(view)) : NoExchange(name)).WithSummary("One exchange's config.");
        curation.MapPut("/exchange/{name}", UpdateAsync).WithSummary("Enable or disable an exchange: {enabled}.");
        curation.MapDelete("/exchange/{name}", async (string name, HttpContext context, ExchangeService service, CancellationToken ct) =>
                await service.DeleteAsync(name, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false)
                    ? Results.Ok(new { message = "Exchange deleted" })
                    : NoExchange(name))
            .WithSummary("Delete an exchange (its bank stays).");
        curation.MapGet("/exchange/{name}/status", StatusAsync).WithSummary("An exchange's fetch status.");
    }

    /// <summary>A bank with no exchange, or no bank at all: HMA's 404.</summary>
    private static IResult NoExchange(string name) => Problems.NotFound($"no exchange '{Problems.Echo(name)}'");

    /// <summary>A JSON value as text: a string as is, anything else as written.</summary>
    private static string Text(JsonNode? value) =>
        value is JsonValue scalar && scalar.TryGetValue<string>(out var text) ? text : value?.ToJsonString() ?? "";

    private static IResult NoApi(string api) => Problems.BadRequest($"no such Exchange API '{Problems.Echo(api)}'");

    private static string ApiOf(string kind) => Apis.First(pair => pair.Value == kind).Key;

    private static Dictionary<string, object?> Config(ExchangeView view)
    {
        var config = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["name"] = view.Name,
            ["api"] = ApiOf(view.Kind),
            ["enabled"] = view.Enabled,
            ["retain_api_data"] = false,
            ["fetching_enabled"] = view.Enabled,
            ["seed_rate"] = null,
        };
        foreach (var (hma, needle) in SettingNames)
        {
            if (view.Settings.TryGetValue(needle, out var value))
            {
                config[hma] = value;
            }
        }

        return config;
    }

    private static async Task<IResult> ApiAsync(string api, ExchangeService service, CancellationToken ct)
    {
        if (!Apis.TryGetValue(api, out var kind))
        {
            return NoApi(api);
        }

        var exchanges = (await service.ListAsync(ct).ConfigureAwait(false)).Where(e => e.Kind == kind).ToList();
        var required = Schemas(kind).Credentials;
        return Results.Ok(new
        {
            supports_authentification = true,
            has_set_authentification = exchanges.Count > 0 && exchanges.All(e => required.All(e.CredentialNames.Contains)),
        });
    }

    private static async Task<IResult> SetApiCredentialsAsync(string api, HttpContext context, ExchangeService service, NeedleServerOptions options, CancellationToken ct)
    {
        if (!Apis.TryGetValue(api, out var kind))
        {
            return NoApi(api);
        }

        var body = await JsonBody.ReadAsync<JsonObject>(context, options.MaxJsonBytes).ConfigureAwait(false);
        if (body["credential_json"] is JsonObject given)
        {
            var credentials = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in given)
            {
                credentials[CredentialNames.GetValueOrDefault(key, key)] = Text(value);
            }

            try
            {
                await service.SetCredentialsAsync(kind, credentials, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                return Problems.BadRequest(Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300));
            }
        }

        return await ApiAsync(api, service, ct).ConfigureAwait(false);
    }

    private static IResult Schema(string api)
    {
        if (!Apis.TryGetValue(api, out var kind))
        {
            return NoApi(api);
        }

        var (settings, credentials) = Schemas(kind);
        return Results.Ok(new
        {
            config_schema = new { fields = settings.ToDictionary(static s => s, static _ => new { type = "str", required = true }) },
            credentials_schema = new { fields = credentials.ToDictionary(static s => CredentialNames.First(p => p.Value == s).Key, static _ => new { type = "str", required = true }) },
        });
    }

    private static (IReadOnlyList<string> Settings, IReadOnlyList<string> Credentials) Schemas(string kind) => kind switch
    {
        ExchangeKinds.ThreatExchange => (["privacy_group"], ["accessToken"]),
        ExchangeKinds.Ncmec => (["environment"], ["username", "password"]),
        ExchangeKinds.StopNcii => ([], ["subscriptionKey", "fetchFunctionKey"]),
        _ => (["base_url", "list"], ["apiKey"]),
    };

    private static async Task<IResult> CreateAsync(HttpContext context, ExchangeService service, HashListService lists, NeedleServerOptions options, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<JsonObject>(context, options.MaxJsonBytes).ConfigureAwait(false);
        var bank = body["bank"] is JsonValue bankValue && bankValue.TryGetValue<string>(out var bankText) ? bankText : null;
        if (string.IsNullOrEmpty(bank))
        {
            return Problems.BadRequest("Field `bank` is required");
        }

        var api = body["api"] is JsonValue apiValue && apiValue.TryGetValue<string>(out var apiText) ? apiText : null;
        if (api is null)
        {
            return Problems.BadRequest("Field `api_type` is required");
        }

        if (!Apis.TryGetValue(api, out var kind))
        {
            return Problems.BadRequest($"No such exchange type '{Problems.Echo(api)}'");
        }

        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (body["api_json"] is { } apiJson)
        {
            if (apiJson is not JsonObject fields)
            {
                return Problems.BadRequest("Field `api_json` must be object");
            }

            foreach (var (key, value) in fields)
            {
                if (SettingNames.TryGetValue(key, out var setting) && value is not null)
                {
                    settings[setting] = Text(value);
                }
            }
        }

        var actor = context.User.Actor();
        var address = context.Connection.RemoteIpAddress?.ToString();
        try
        {
            if (lists.FindList(bank) is null)
            {
                await lists.CreateListAsync(bank, HashListKind.Known, null, actor, address, ct).ConfigureAwait(false);
            }

            await service.CreateAsync(bank, new ExchangeDefinition { Kind = kind, List = bank, Settings = settings }, actor, address, ct).ConfigureAwait(false);
            return Results.Json(new { message = "Created successfully" }, statusCode: StatusCodes.Status201Created);
        }
        catch (ExchangeAlreadyExistsException ex)
        {
            return Problems.Conflict(ex.Message);
        }
        catch (ArgumentException ex)
        {
            return Problems.BadRequest($"Failed to parse `api_json` - verify all fields are supplied. {Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300)}");
        }
    }

    private static async Task<IResult> UpdateAsync(string name, HttpContext context, ExchangeService service, NeedleServerOptions options, CancellationToken ct)
    {
        var body = await JsonBody.ReadAsync<JsonObject>(context, options.MaxJsonBytes).ConfigureAwait(false);
        bool? enabled = body["enabled"] is JsonValue flag && flag.TryGetValue<bool>(out var on) ? on : null;
        try
        {
            var view = await service.UpdateAsync(name, new ExchangeDefinition { Enabled = enabled }, context.User.Actor(), context.Connection.RemoteIpAddress?.ToString(), ct).ConfigureAwait(false);
            return Results.Ok(Config(view));
        }
        catch (ExchangeNotFoundException)
        {
            return NoExchange(name);
        }
    }

    private static async Task<IResult> StatusAsync(string name, ExchangeService service, CancellationToken ct)
    {
        if (await service.GetStatusAsync(name, ct).ConfigureAwait(false) is not { } found)
        {
            return NoExchange(name);
        }

        var status = found.Status;
        var checkpoint = status.CheckpointAt?.ToUnixTimeSeconds() ?? 0;
        var lastFetch = status.LastFetch?.ToUnixTimeSeconds() ?? 0;
        return Results.Ok(new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["checkpoint_ts"] = checkpoint,
            ["running_fetch_start_ts"] = status.Running ? lastFetch : null,
            ["last_fetch_complete_ts"] = status.Running || status.Success is null ? null : lastFetch,
            ["last_fetch_succeeded"] = status.Success,
            ["up_to_date"] = status.Success == true && !status.Running,
            // HMA's count of what the exchange holds, not of the last fetch's changes.
            ["fetched_items"] = status.Entries,
            ["last_fetch_time"] = lastFetch,
            ["checkpoint_time"] = checkpoint,
            ["success"] = status.Success,
            ["error"] = status.Error,
            ["checkpoint"] = status.Checkpoint is { } text ? text : null,
            ["time"] = lastFetch.ToString(CultureInfo.InvariantCulture),
        });
    }
}
