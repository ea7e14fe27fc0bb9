using Needle.Matching.Lists;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Hashing;
using Needle.Server.Auth;
using Needle.Server.Endpoints;
using Needle.Server.Http;
using Needle.Server.Processing;
using Needle.Storage.Sqlite;
using Needle.Triage;

namespace Needle.Server;

/// <summary>
/// Builds the Needle HTTP server: opens and migrates the database, loads the media key and the hash lists, creates
/// the first admin key on an empty database, and returns a Kestrel <see cref="WebApplication"/> ready to run. The
/// CLI's <c>needle serve</c> and the tests both start the server through here.
/// </summary>
public static class NeedleServer
{
    /// <summary>The first admin key's name.</summary>
    internal const string InitialAdminName = "initial-admin";

    public static async Task<WebApplication> BuildAsync(NeedleServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var notices = options.Notices ?? Console.Out;
        var warnings = options.Warnings ?? Console.Error;
        var time = options.TimeProvider;

        // Routing rules first: a bad file stops the start before anything is opened.
        var routing = options.RoutingPath is { } routingPath ? JurisdictionRules.Load(routingPath) : JurisdictionRules.Default;
        var store = new SqliteNeedleStore(options.DatabasePath, new SqliteStoreOptions { TimeProvider = time });
        MatcherHost? matchers = null;
        GeoLocator? geo = null;
        try
        {
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            var protector = LoadMediaKey(options, warnings);
            matchers = await MatcherHost.LoadAsync(store.Lists, time, new ListMatcherOptions { MinimumPdqQuality = options.MinimumPdqQuality }, cancellationToken).ConfigureAwait(false);
            var keys = new ApiKeyService(store.Keys, time);
            await CreateFirstAdminAsync(store, keys, notices, cancellationToken).ConfigureAwait(false);
            geo = CreateGeoLocator(options, warnings);
            return Build(options, store, matchers, protector, keys, geo, routing);
        }
        catch
        {
            geo?.Dispose();
            matchers?.Dispose();
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The media key from the environment variable, else the key file beside the database (created 0600 on first use).</summary>
    private static MediaProtector LoadMediaKey(NeedleServerOptions options, TextWriter warnings)
    {
        if (options.MediaKeyEnvironmentVariable is { } variable && MediaProtector.FromEnvironment(variable) is { } fromEnvironment)
        {
            return fromEnvironment;
        }

        var path = Path.GetFullPath(options.ResolvedMediaKeyPath);
        var protector = MediaProtector.LoadOrCreate(path, out var created);
        if (created)
        {
            warnings.WriteLine($"warning: created a new media encryption key at {path} (mode 0600).");
            warnings.WriteLine("warning: stored media cannot be read without it: back it up apart from the database, or set NEEDLE_MEDIA_KEY.");
        }
        else
        {
            warnings.WriteLine($"note: media encryption key read from {path}; set NEEDLE_MEDIA_KEY to keep it off the disk.");
        }

        return protector;
    }

    /// <summary>
    /// The geodata shared by the workers, loaded on first use. A missing IP database is said once, now, and IP clues are
    /// skipped; the server runs anyway.
    /// </summary>
    private static GeoLocator CreateGeoLocator(NeedleServerOptions options, TextWriter warnings)
    {
        var ipPath = Path.GetFullPath(options.IpDatabasePath ?? Needle.Geo.GeoDataPaths.DefaultIpDatabase);
        var geo = new GeoLocator(ipPath, message =>
        {
            lock (warnings)
            {
                warnings.WriteLine(message);
            }
        });
        if (!geo.IpDatabaseExists)
        {
            warnings.WriteLine($"warning: no IP-to-country database at {ipPath}: reports get no IP clues (install it with scripts/fetch-geodata.sh, or pass --ip-db FILE).");
        }

        return geo;
    }

    private static async Task CreateFirstAdminAsync(INeedleStore store, ApiKeyService keys, TextWriter notices, CancellationToken cancellationToken)
    {
        if (await store.Keys.CountAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            return;
        }

        var created = await keys.CreateAsync(InitialAdminName, ApiRole.Admin, null, "system", remoteAddress: null, cancellationToken).ConfigureAwait(false);
        notices.WriteLine("================================================================================");
        notices.WriteLine("The database has no API keys, so an admin key was created. It is shown this once:");
        notices.WriteLine();
        notices.WriteLine($"    {created.Key}");
        notices.WriteLine();
        notices.WriteLine($"Key id {created.Record.Id}. Store it safely; use it to create the other keys");
        notices.WriteLine("(POST /api/v1/keys or 'needle keys create'), then consider revoking it.");
        notices.WriteLine("================================================================================");
        await notices.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static WebApplication Build(
        NeedleServerOptions options, SqliteNeedleStore store, MatcherHost matchers, MediaProtector protector, ApiKeyService keys, GeoLocator geo, JurisdictionRules routing)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Never Development: no developer exception page, whatever ASPNETCORE_ENVIRONMENT says.
            EnvironmentName = Environments.Production,
            ApplicationName = "Needle.Server",
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Logging.SetMinimumLevel(options.MinimumLogLevel);

        // Logs go to stderr: stdout carries only what a script may capture (the first admin key).
        builder.Logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft.AspNetCore", options.MinimumLogLevel < LogLevel.Warning ? LogLevel.Warning : options.MinimumLogLevel);
        builder.WebHost.UseUrls([.. options.Urls]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The largest report plus room for its JSON and multipart framing; the list import raises it per request.
            kestrel.Limits.MaxRequestBodySize = options.MaxReportBytes + options.MaxJsonBytes + 1024 * 1024;
            kestrel.AddServerHeader = false;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(15));

        var time = options.TimeProvider;
        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time);

        // Factory registrations: the container owns and disposes them when the application is disposed.
        services.AddSingleton<INeedleStore>(_ => store);
        services.AddSingleton(_ => matchers);
        services.AddSingleton(protector);
        services.AddSingleton(keys);
        services.AddSingleton(new ApiKeyCache(time, options.KeyCacheDuration));
        services.AddSingleton(new ImageDecoder(DecodeOptions.Default, time));
        services.AddSingleton(sp => new ReportIntake(store, protector, time, new IntakeOptions
        {
            MaxFiles = options.MaxFilesPerRequest,
            MaxFileBytes = options.MaxFileBytes,
            MaxTotalBytes = options.MaxReportBytes,
        }));
        services.AddSingleton(_ => geo);
        services.AddSingleton(routing);
        services.AddSingleton(sp => new ReportProcessor(store, matchers, protector, time, new ProcessorOptions { Geo = geo, Routing = routing, Video = options.Video }));
        services.AddSingleton(sp => new MatchLookup(matchers, sp.GetRequiredService<ImageDecoder>(), options.Video));
        if (options.Workers > 0)
        {
            services.AddHostedService<ReportWorkers>();
        }

        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorization(Policies.Configure);
        services.AddOpenApi();

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();
        MapEndpoints(app);
        return app;
    }

    /// <summary>The addresses Kestrel bound (with the real port when 0 was asked for); read after StartAsync.</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
    }

    internal static void MapEndpoints(WebApplication app)
    {
        AdminEndpoints.MapHealth(app);
        app.MapOpenApi().RequireAuthorization(Policies.AnyKey);

        var api = app.MapGroup("/api/v1");

        // Request problems thrown while reading a body become problem responses here, without going through the
        // exception handler (which logs them as errors).
        api.AddEndpointFilter(CatchRequestProblems);
        ReportEndpoints.Map(api);
        ListEndpoints.Map(api);
        LookupEndpoints.Map(api);
        AdminEndpoints.MapKeys(api);
        AdminEndpoints.MapAudit(api);

        var hma = app.MapGroup("");
        hma.AddEndpointFilter(CatchRequestProblems);
        HmaEndpoints.Map(hma);
    }

    private static async ValueTask<object?> CatchRequestProblems(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (RequestProblemException ex)
        {
            return ex.ToResult();
        }
        catch (ReportValidationException ex)
        {
            return Problems.BadRequest("The request failed validation.", ex.Errors);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge("The request body is larger than this server accepts.");
        }
    }
}
