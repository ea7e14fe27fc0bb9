using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Needle.Application.Access;
using Needle.Application.Cases;
using Needle.Application.Clues;
using Needle.Application.Exchanges;
using Needle.Application.Intake;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Application.Processing;
using Needle.Application.Review;
using Needle.Application.Telemetry;
using Needle.Application.Triage;
using Needle.Core.Access;
using Needle.Core.Jurisdiction;
using Needle.Core.Storage;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Server.Auth;
using Needle.Server.Endpoints;
using Needle.Server.Http;
using Needle.Server.Processing;
using Needle.Server.Web;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

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

    /// <summary>
    /// An API node: opens and migrates the registered store, loads the media key and the lists, creates the first admin
    /// key on an empty database (printed once to <see cref="NeedleServerOptions.Notices"/>), and returns the application
    /// with its endpoints, review pages and (unless <see cref="NeedleServerOptions.Workers"/> is 0) job workers, not yet
    /// started. On failure nothing stays open.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(NeedleServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var parts = await OpenAsync(options, createFirstAdmin: true, cancellationToken).ConfigureAwait(false);
        try
        {
            return Build(options, parts);
        }
        catch
        {
            await parts.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Builds a worker node: the background job workers (<see cref="NeedleServerOptions.Workers"/> of them) and the list
    /// follower, with no API. With <paramref name="healthUrls"/> it also serves <c>/livez</c> and <c>/readyz</c> there
    /// (for an orchestrator's probes); without, it opens no port at all. It never creates the first admin key.
    /// </summary>
    public static async Task<IHost> BuildWorkerAsync(NeedleServerOptions options, IReadOnlyList<string>? healthUrls = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.Workers);
        var parts = await OpenAsync(options, createFirstAdmin: false, cancellationToken).ConfigureAwait(false);
        try
        {
            if (healthUrls is { Count: > 0 })
            {
                var web = CreateWebBuilder(options, healthUrls);
                AddNodeServices(web.Services, options, parts);
                var app = web.Build();
                OwnRobustParts(app.Services);
                AdminEndpoints.MapHealth(app);
                return app;
            }

            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                EnvironmentName = Environments.Production,
                ApplicationName = "Needle.Worker",
                ContentRootPath = AppContext.BaseDirectory,
                Args = [],
                DisableDefaults = true,
            });
            ConfigureLogging(builder.Logging, options);
            builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(15));
            AddNodeServices(builder.Services, options, parts);
            var host = builder.Build();
            OwnRobustParts(host.Services);
            return host;
        }
        catch
        {
            await parts.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The store the host registered (<see cref="NeedleServerOptions.Store"/>), in a container of its own that owns it:
    /// the node's parts are opened before the web host exists, and disposing the container disposes the store.
    /// </summary>
    private static ServiceProvider OpenStore(NeedleServerOptions options)
    {
        var services = new ServiceCollection();
        services.AddSingleton(options.TimeProvider);
        options.Store(services);
        return services.BuildServiceProvider();
    }

    /// <summary>Opens and migrates the store, loads the media key and the lists; on failure nothing stays open.</summary>
    private static async Task<NodeParts> OpenAsync(NeedleServerOptions options, bool createFirstAdmin, CancellationToken cancellationToken)
    {
        var notices = options.Notices ?? Console.Out;
        var warnings = options.Warnings ?? Console.Error;
        var time = options.TimeProvider;

        // Routing rules first: a bad file stops the start before anything is opened.
        var routing = options.RoutingPath is { } routingPath ? JurisdictionRules.Load(routingPath) : JurisdictionRules.Default;
        var scoring = options.ScoringPath is { } scoringPath ? ScoringOptions.Load(scoringPath) : (options.Scoring ?? ScoringOptions.Default).Validated("scoring options");

        // The robust tier's model and OpenCV, loaded once for the whole node (workers, triage, similar files): a missing
        // or unusable model stops the start here, before anything is opened.
        var robustModel = options.Robust ? LoadRobustModel(options) : null;
        ServiceProvider storeServices;
        try
        {
            storeServices = OpenStore(options);
        }
        catch
        {
            robustModel?.Dispose();
            throw;
        }

        var description = storeServices.GetService<StoreDescription>()
            ?? throw new InvalidOperationException("The registered store has no StoreDescription: register it with AddSqliteStore or AddPostgresStore.");
        MediaProtector protector;
        INeedleStore store;
        try
        {
            protector = LoadMediaKey(options, description, warnings);
            store = storeServices.GetService<INeedleStore>() ?? throw new InvalidOperationException("No INeedleStore was registered.");
        }
        catch
        {
            robustModel?.Dispose();
            await storeServices.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        HashListService? matchers = null;
        ILoggerFactory? listLogs = null;
        GeoLocator? geo = null;
        try
        {
            // Safe with many nodes starting at once: PostgreSQL migrates under an advisory lock.
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            // One minimum for matching and triage (the scoring file's): a file the matcher did not compare by PDQ is
            // exactly one triage counts as unassessable, never as possibly new material. Entry details (labels,
            // metadata) live in temporary files; memory keeps what matching needs.
            // With a snapshot folder the lists start from their snapshots; the list service logs through its own
            // factory (the host's does not exist yet), kept for the node's life.
            listLogs = LoggerFactory.Create(logging => ConfigureLogging(logging, options));
            var snapshots = options.ListSnapshotDirectory is { } snapshotFolder
                ? new ListSnapshotOptions { Directory = snapshotFolder, RefreshAfterChanges = options.ListSnapshotRefreshChanges }
                : null;
            matchers = await HashListService.LoadAsync(
                    store.Lists, time, new ListMatcherOptions { MinimumPdqQuality = scoring.MinimumPdqQuality }, Path.GetTempPath(), snapshots,
                    listLogs.CreateLogger<HashListService>(), cancellationToken)
                .ConfigureAwait(false);
            SimilarMediaIndex? similar = null;
            if (robustModel is not null)
            {
                var extractor = new Needle.Robust.RobustFeatureExtractor(robustModel);
                matchers.UseRobust(extractor);
                similar = new SimilarMediaIndex(store.Robust, robustModel.Dimension, extractor.Options, () => extractor.Model.ModelId);
            }

            // An import running in a process that was killed left nothing (its transaction died with it): say so in its record.
            await new ListImporter(matchers, store.Lists, time)
                .FailAbandonedAsync(node => WorkerIdentity.IsAbandoned(node, Environment.MachineName, Environment.ProcessId, WorkerIdentity.IsRunning), cancellationToken)
                .ConfigureAwait(false);
            ListImportFiles.RemoveAbandoned();
            var keys = new ApiKeyService(store.Keys, time);
            if (createFirstAdmin)
            {
                await CreateFirstAdminAsync(store, keys, notices, cancellationToken).ConfigureAwait(false);
            }

            // A node killed mid-way (SIGKILL, a lost machine) could not delete the decrypted media it wrote for ffmpeg.
            var abandoned = PrivateMediaFiles.RemoveAbandoned(options.MediaTempDirectory);
            if (abandoned > 0)
            {
                warnings.WriteLine($"note: removed the decrypted media left by {abandoned} earlier Needle process(es) that ended without cleaning up.");
            }

            geo = CreateGeoLocator(options, warnings);
            return new NodeParts(storeServices, description, store, matchers, protector, keys, geo, routing, scoring, listLogs) { RobustModel = robustModel, Similar = similar };
        }
        catch
        {
            geo?.Dispose();
            matchers?.Dispose();
            robustModel?.Dispose();
            listLogs?.Dispose();
            await storeServices.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The robust tier's model, with OpenCV checked; a missing or unusable file is an error naming it.</summary>
    private static Needle.Robust.ImageDescriptorModel LoadRobustModel(NeedleServerOptions options)
    {
        Needle.Robust.ImageDescriptorModel? model = null;
        try
        {
            model = new Needle.Robust.ImageDescriptorModel(options.RobustModelPath is { } modelPath
                ? Needle.Robust.RobustModelOptions.ForModel(modelPath)
                : new Needle.Robust.RobustModelOptions());
            _ = new Needle.Robust.RobustFeatureExtractor(model);
            return model;
        }
        catch (Needle.Robust.RobustStartupException e)
        {
            model?.Dispose();
            throw new InvalidOperationException($"robust tier: {e.Message} (or run without it: --robust off)", e);
        }
    }

    /// <summary>The media key from the environment variable, else the key file beside the database (created 0600 on first use).</summary>
    private static MediaProtector LoadMediaKey(NeedleServerOptions options, StoreDescription store, TextWriter warnings)
    {
        if (options.MediaKeyEnvironmentVariable is { } variable && MediaProtector.FromEnvironment(variable) is { } fromEnvironment)
        {
            return fromEnvironment;
        }

        // Every node of a PostgreSQL deployment encrypts and decrypts the same media: a key made up per node would
        // leave the others unable to read it, so there is no default file.
        var path = Path.GetFullPath(options.ResolvedMediaKeyPath(store) ?? throw new InvalidOperationException(
            $"Every node (API and worker) on {store.Name} needs the same media key: set NEEDLE_MEDIA_KEY (base64, 32 bytes) or pass --media-key FILE."));
        var protector = MediaProtector.LoadOrCreate(path, out var created);
        if (created)
        {
            warnings.WriteLine($"warning: created a new media encryption key at {path} (mode 0600).");
            warnings.WriteLine("warning: stored media cannot be read without it: back it up apart from the database, or set NEEDLE_MEDIA_KEY.");
            if (store.SharedByNodes)
            {
                warnings.WriteLine("warning: every other node on this database must use this same key (copy the file, or set NEEDLE_MEDIA_KEY to its base64 on all of them).");
            }
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

    private static WebApplication Build(NeedleServerOptions options, NodeParts parts)
    {
        var builder = CreateWebBuilder(options, options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // The largest report plus room for its JSON and multipart framing; the list import raises it per request.
            kestrel.Limits.MaxRequestBodySize = options.MaxReportBytes + options.MaxJsonBytes + 1024 * 1024;
        });

        var time = options.TimeProvider;
        var services = builder.Services;
        AddNodeServices(services, options, parts);
        var (store, matchers, protector) = (parts.Store, parts.Matchers, parts.Protector);
        services.AddSingleton(parts.Keys);
        services.AddSingleton(new ApiKeyCache(time, options.KeyCacheDuration));
        services.AddSingleton(sp => new ReportIntake(store, protector, time, new IntakeOptions
        {
            Metrics = sp.GetRequiredService<NeedleMetrics>(),
            MaxFiles = options.MaxFilesPerRequest,
            MaxFileBytes = options.MaxFileBytes,
            MaxTotalBytes = options.MaxReportBytes,
        }));
        services.AddSingleton(sp => new DecisionService(store, matchers, parts.Scoring, time, sp.GetRequiredService<ExchangeFeedbackService>()));
        services.AddSingleton(sp => new FalsePositiveService(store, matchers, parts.Scoring, time, sp.GetRequiredService<ExchangeFeedbackService>()));
        services.AddSingleton(_ => new CaseService(store, matchers, protector, time, options.MaxReportBytes + options.MaxJsonBytes));
        services.AddSingleton(sp =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger<WebDecisions>();
            return new DecisionUndoWindow(sp.GetRequiredService<DecisionService>(), store, time, options.DecisionUndoWindow, ex => WebDecisions.LogSpreadFailed(logger, ex));
        });
        services.AddSingleton(_ => new ListImporter(matchers, store.Lists, time));
        services.AddSingleton(sp => new MatchLookup(matchers, sp.GetRequiredService<ImageDecoder>(), options.Video, mediaTempRoot: options.MediaTempDirectory, maxConcurrentVideos: options.MaxConcurrentVideoLookups));

        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        services.AddProblemDetails();
        services.AddExceptionHandler<ProblemExceptionHandler>();
        var authentication = services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        // The review pages: a cookie session scheme beside the API keys, Razor components rendered on the server.
        services.AddWebSessions(authentication, options);
        services.AddRazorComponents();
        services.AddSingleton(_ => new UrlFetch.MediaUrlFetcher(options.UrlFetch, time));
        services.AddSingleton(_ => new BankSampling(store.Settings, time, options.BankRatioCacheDuration));
        services.AddSingleton(WorldMap.Default());
        services.AddSingleton<WebDecisions>();
        services.AddSingleton<VideoKeyframeCache>();
        services.AddSingleton<SignInGuard>();
        services.AddHostedService(sp => sp.GetRequiredService<SignInGuard>());
        services.AddNeedleRateLimits(options.RateLimits);
        services.AddAuthorization(authorization =>
        {
            Policies.Configure(authorization, options.MetricsRoles);
            WebSession.AddWebPolicies(authorization);
        });
        services.AddOpenApi();

        // The API node also serves the Prometheus scrape endpoint and traces its requests.
        services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddPrometheusExporter())
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation());

        var app = builder.Build();
        OwnRobustParts(app.Services);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();

        // After authentication (limits are per key as well as per address), before authorization and the endpoints.
        app.UseRateLimiter();
        app.Use(UnmatchedRoutes.HandleAsync);
        app.UseAuthorization();
        app.UseAntiforgery();
        MapEndpoints(app);
        return app;
    }

    /// <summary>A slim Kestrel host on <paramref name="urls"/>, Production always, logging to stderr.</summary>
    private static WebApplicationBuilder CreateWebBuilder(NeedleServerOptions options, IReadOnlyList<string> urls)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // Never Development: no developer exception page, whatever ASPNETCORE_ENVIRONMENT says.
            EnvironmentName = Environments.Production,
            ApplicationName = "Needle.Server",
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        ConfigureLogging(builder.Logging, options);
        builder.WebHost.UseUrls([.. urls]);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(15));
        return builder;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, NeedleServerOptions options)
    {
        logging.SetMinimumLevel(options.MinimumLogLevel);

        // Logs go to stderr: stdout carries only what a script may capture (the first admin key).
        logging.AddConsole(console => console.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddFilter("Microsoft.AspNetCore", options.MinimumLogLevel < LogLevel.Warning ? LogLevel.Warning : options.MinimumLogLevel);
        logging.AddFilter("Microsoft.Hosting.Lifetime", options.MinimumLogLevel);
    }

    /// <summary>What every node runs: the store, the lists and their follower, and (unless 0) the job workers.</summary>
    private static void AddNodeServices(IServiceCollection services, NeedleServerOptions options, NodeParts parts)
    {
        var time = options.TimeProvider;
        services.AddSingleton(options);
        services.AddSingleton(time);

        // Factory registrations: the container owns and disposes them when the application is disposed (the store's
        // own container disposes the store).
        services.AddSingleton(_ => parts.StoreServices);
        services.AddSingleton(parts.Store);
        services.AddSingleton(parts.StoreDescription);
        services.AddSingleton(_ => parts.Matchers);
        services.AddSingleton(parts.Protector);
        services.AddSingleton(new ImageDecoder(DecodeOptions.Default, time));
        services.AddSingleton(_ => parts.Geo);
        services.AddSingleton(parts.Routing);
        var (store, matchers) = (parts.Store, parts.Matchers);
        // One meter per node, owned (and disposed) by the container; exported over OTLP when a collector is named.
        var telemetry = new NeedleMetrics(time, $"{Environment.MachineName}/{Environment.ProcessId}");
        services.AddSingleton(_ => telemetry);
        services.AddHostedService<QueueSampler>();
        var otlp = options.OtlpEndpoint;
        var otlpFromEnvironment = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT"));
        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("needle"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(NeedleMetrics.MeterName);
                if (otlp is not null)
                {
                    metrics.AddOtlpExporter(exporter => exporter.Endpoint = otlp);
                }
                else if (otlpFromEnvironment)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(NeedleMetrics.SourceName);
                if (otlp is not null)
                {
                    tracing.AddOtlpExporter(exporter => exporter.Endpoint = otlp);
                }
                else if (otlpFromEnvironment)
                {
                    tracing.AddOtlpExporter();
                }
            });
        var processing = new ProcessorOptions
        {
            Geo = parts.Geo, Routing = parts.Routing, Lease = options.JobLease, Video = options.Video, VideoTempDirectory = options.MediaTempDirectory, Metrics = telemetry, FloodGuard = options.FloodGuard,
        };
        var scoring = parts.Scoring;
        services.AddSingleton(sp => new ReportProcessor(store, matchers, parts.Protector, time, processing));
        services.AddSingleton(scoring);
        // The near-duplicate index keeps its snapshot in the list snapshot folder (same refresh interval).
        var mediaSnapshots = options.ListSnapshotDirectory is { } mediaSnapshotFolder
            ? new ListSnapshotOptions { Directory = mediaSnapshotFolder, RefreshAfterChanges = options.ListSnapshotRefreshChanges }
            : null;
        services.AddSingleton(sp => new NearDuplicateMediaIndex(store.Triage, scoring, mediaSnapshots, sp.GetRequiredService<ILogger<NearDuplicateMediaIndex>>()));
        var mirrored = parts.Similar is { } similarColumn ? new MirroredFeatureReader(store.Reports, parts.Protector, processing.Decode, similarColumn.Options, time) : null;
        services.AddSingleton(sp => new TriageProcessor(store, matchers, sp.GetRequiredService<NearDuplicateMediaIndex>(), scoring, time, processing, parts.Similar, mirrored));
        if (parts.Similar is { } similar)
        {
            services.AddSingleton(_ => similar);
        }

        if (parts.RobustModel is { } robustModel)
        {
            services.AddSingleton(_ => robustModel);
        }

        var exchangeOptions = options.Exchanges with { Holder = WorkerIdentity.Create(Environment.MachineName, Environment.ProcessId, 0) };
        services.AddSingleton(_ => new ExchangeFetcher(store, matchers, parts.Protector, time, exchangeOptions));
        services.AddSingleton(_ => new ExchangeService(store, matchers, parts.Protector, time));
        services.AddSingleton(_ => new ExchangeFeedbackService(store, matchers, time));
        services.AddSingleton(_ => new ExchangeFeedbackSender(store, parts.Protector, time, exchangeOptions));
        services.AddSingleton(sp => new JobDispatcher(
            store.Jobs, sp.GetRequiredService<ReportProcessor>(), sp.GetRequiredService<TriageProcessor>(), processing, sp.GetRequiredService<ExchangeFetcher>(), sp.GetRequiredService<ExchangeFeedbackSender>()));
        services.AddHostedService<ListFollower>();
        services.AddHostedService<ListSnapshotWriter>();
        services.AddHostedService<ExchangeScheduler>();
        services.AddHostedService<FeedbackScheduler>();
        if (options.Workers > 0)
        {
            services.AddHostedService<ReportWorkers>();
            services.AddHostedService<MediaIndexStarter>();
        }
    }

    /// <summary>Resolves the robust tier's parts once, so the container owns them and disposes them with the node.</summary>
    private static void OwnRobustParts(IServiceProvider services)
    {
        _ = services.GetService<Needle.Robust.ImageDescriptorModel>();
        _ = services.GetService<SimilarMediaIndex>();
    }

    /// <summary>What a node opened at start; disposed together when the start fails.</summary>
    private sealed record NodeParts(
        ServiceProvider StoreServices,
        StoreDescription StoreDescription,
        INeedleStore Store, HashListService Matchers, MediaProtector Protector, ApiKeyService Keys, GeoLocator Geo, JurisdictionRules Routing, ScoringOptions Scoring,
        ILoggerFactory ListLogs)
        : IAsyncDisposable
    {
        /// <summary>The robust tier's model when it is on (one per node).</summary>
        public Needle.Robust.ImageDescriptorModel? RobustModel { get; init; }

        /// <summary>The descriptor column of every processed image when the robust tier is on.</summary>
        public SimilarMediaIndex? Similar { get; init; }

        public async ValueTask DisposeAsync()
        {
            Geo.Dispose();
            Matchers.Dispose();
            Similar?.Dispose();
            RobustModel?.Dispose();
            ListLogs.Dispose();
            await StoreServices.DisposeAsync().ConfigureAwait(false);
        }
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
        if (app.Services.GetRequiredService<NeedleServerOptions>().MetricsPath is { } metricsPath)
        {
            app.MapPrometheusScrapingEndpoint(metricsPath)
                .WithMetadata(new HttpMethodMetadata([HttpMethods.Get]))
                .RequireAuthorization(Policies.Metrics);
        }

        var api = app.MapGroup("/api/v1");

        // Request problems thrown while reading a body become problem responses here, without going through the
        // exception handler (which logs them as errors).
        api.AddEndpointFilter(CatchRequestProblems);
        ReportEndpoints.Map(api);
        SimilarEndpoints.Map(api);
        ListEndpoints.Map(api);
        ExchangeEndpoints.Map(api);
        FeedbackEndpoints.Map(api);
        LookupEndpoints.Map(api);
        TriageEndpoints.Map(api);
        CaseEndpoints.Map(api);
        AdminEndpoints.MapKeys(api);
        AdminEndpoints.MapAudit(api);

        var hma = app.MapGroup("");
        hma.AddEndpointFilter(CatchRequestProblems);
        HmaEndpoints.Map(hma);
        HmaExchangeEndpoints.Map(hma);

        WebEndpoints.Map(app);
        CaseWebEndpoints.Map(app);
        ExchangeWebEndpoints.Map(app);

        // Last: a malformed id in any route above is a 400 problem naming the parameter (not the fallback's 403).
        MalformedRouteValues.Map(app);
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
