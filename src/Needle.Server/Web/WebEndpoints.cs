using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Needle.Application.Access;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Application.Triage;
using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Paging;
using Needle.Core.Reports;
using Needle.Hashing;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Matching.Formats;
using Needle.Matching.Lists;
using Needle.Server.Http;
using Needle.Server.Web.Pages;
using Needle.Video;

namespace Needle.Server.Web;

/// <summary>
/// The review pages: sign-in, queue, report, lists, audit and preferences, rendered on the server from Razor components.
/// Every page needs a session of the right role (cookie scheme <see cref="WebSession.Scheme"/>); every form carries an
/// anti-forgery token; every view of media and every decision is audited.
/// </summary>
internal static class WebEndpoints
{
    private const int QueuePageSize = 25;
    private const int EntriesPageSize = 50;
    private const int AuditPageSize = 50;

    /// <summary>Files of a report whose similar files of other reports are looked up for its page.</summary>
    private const int MaxSimilarFiles = 24;

    /// <summary>Similar files shown per file.</summary>
    private const int SimilarPerFile = 3;

    /// <summary>Descriptor similarity under which a file of another report is not shown as a similar scene.</summary>
    private const double MinSimilarShown = 0.6;
    private static readonly TimeSpan ClaimDuration = TimeSpan.FromMinutes(30);

    public static void Map(WebApplication app)
    {
        var web = app.MapGroup("").AddEndpointFilter(SecurityHeaders);

        web.MapGet("/static/needle.css", () => Asset("needle.css", "text/css; charset=utf-8")).AllowAnonymous();
        web.MapGet("/static/needle.js", () => Asset("needle.js", "text/javascript; charset=utf-8")).AllowAnonymous();
        web.MapGet("/static/world.svg", (HttpContext context, WorldMap map) =>
        {
            // Public boundary data, the same for everyone: cached by the browser, drawn once per server.
            context.Response.Headers.CacheControl = "public, max-age=86400";
            return TypedResults.File(map.Svg, "image/svg+xml");
        }).AllowAnonymous();

        web.MapGet("/signin", SignInPage).AllowAnonymous();
        web.MapPost("/signin", SignInAsync).AllowAnonymous();
        web.MapPost("/signout", SignOutAsync).RequireAuthorization(WebSession.AnySession);
        web.MapGet("/", (HttpContext context) => Results.Redirect(Home(WebUser.From(context.User)))).RequireAuthorization(WebSession.AnySession);

        web.MapGet("/queue", QueueAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/queue/{id:guid}/claim", ClaimAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/queue/{id:guid}/release", ReleaseAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapGet("/reports/{id:guid}", ReportAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/reports/{id:guid}/files/{fileId:guid}/decision", DecideAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapPost("/reports/{id:guid}/files/{fileId:guid}/false-positive", FalsePositiveAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapGet("/web/files/{id:guid}/thumbnail", ThumbnailAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapGet("/web/files/{id:guid}/reveal", RevealAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapGet("/web/files/{id:guid}/keyframes/{index:int}/thumbnail", KeyframeThumbnailAsync).RequireAuthorization(WebSession.Reviewer);
        web.MapGet("/web/files/{id:guid}/keyframes/{index:int}/reveal", KeyframeRevealAsync).RequireAuthorization(WebSession.Reviewer);
        ReviewActions.Map(web);

        web.MapGet("/lists", ListsPage).RequireAuthorization(WebSession.Admin);
        web.MapPost("/lists", CreateListAsync).RequireAuthorization(WebSession.Admin);
        web.MapGet("/lists/{name}", ListEntriesPage).RequireAuthorization(WebSession.Admin);
        web.MapPost("/lists/{name}/import", ImportListAsync).RequireAuthorization(WebSession.Admin);
        web.MapGet("/lists/{name}/export", ExportList).RequireAuthorization(WebSession.Admin);
        web.MapPost("/lists/{name}/entries/{id:int}/enabled", SetEntryEnabledAsync).RequireAuthorization(WebSession.Admin);
        web.MapPost("/lists/{name}/entries/{id:int}/release", ReleaseEntryAsync).RequireAuthorization(WebSession.Admin);

        web.MapGet("/audit", AuditAsync).RequireAuthorization(WebSession.Auditor);

        web.MapGet("/preferences", PreferencesAsync).RequireAuthorization(WebSession.AnySession);
        web.MapPost("/preferences", SavePreferencesAsync).RequireAuthorization(WebSession.AnySession);
        web.MapPost("/preferences/org", SaveOrgPreferencesAsync).RequireAuthorization(WebSession.Admin);
        web.MapPost("/preferences/shortcuts", SaveShortcutsAsync).RequireAuthorization(WebSession.AnySession);
    }

    /// <summary>Where each role starts: reviewers at the queue, admins at the lists, auditors at the log.</summary>
    private static string Home(WebUser user) => user.Role switch
    {
        "reviewer" => "/queue",
        "admin" => "/lists",
        "auditor" => "/audit",
        _ => "/preferences",
    };

    // ---------------------------------------------------------------- frame, assets, headers

    internal static async ValueTask<object?> SecurityHeaders(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var headers = context.HttpContext.Response.Headers;

        // Nothing from anywhere else: no CDN, no inline script, no framing. Inline SVG (the map) needs no source.
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        if (!context.HttpContext.Request.Path.StartsWithSegments("/static"))
        {
            // Exactly what antiforgery sets on the pages that carry its token: with "no-store" alone it overrides the
            // header and logs a warning on every page view.
            headers.CacheControl = "no-cache, no-store";
            headers.Pragma = "no-cache";
        }

        return await next(context).ConfigureAwait(false);
    }

    private static FileContentHttpResult Asset(string name, string contentType)
    {
        using var stream = typeof(WebEndpoints).Assembly.GetManifestResourceStream("Needle.Server.Web.Assets." + name)
            ?? throw new InvalidOperationException($"The asset {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return TypedResults.File(copy.ToArray(), contentType);
    }

    internal static PageFrame Frame(HttpContext context, string title, string section, int breakMinutes = 0)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        var user = context.User.Identity?.IsAuthenticated == true && context.User.Identity.AuthenticationType == WebSession.Scheme ? WebUser.From(context.User) : null;
        return new PageFrame(title, user, tokens.FormFieldName, tokens.RequestToken ?? "", section)
        {
            BreakMinutes = breakMinutes,
            Notice = context.Request.Query["notice"],
            Error = context.Request.Query["error"],
        };
    }

    internal static RazorComponentResult<TComponent> Page<TComponent>(object model, int status = StatusCodes.Status200OK)
        where TComponent : Microsoft.AspNetCore.Components.IComponent =>
        new RazorComponentResult<TComponent>(new Dictionary<string, object?> { ["Model"] = model }) { StatusCode = status };

    internal static string? Remote(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    internal static string WithNotice(string path, string notice, bool error = false) =>
        path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + (error ? "error=" : "notice=") + Uri.EscapeDataString(notice);

    // ---------------------------------------------------------------- sign-in, sign-out

    private static RazorComponentResult<SignInPage> SignInPage(HttpContext context, string? returnUrl, string? signedOut) =>
        Page<SignInPage>(new SignInModel(Frame(context, "Sign in", "signin"), LocalPath(returnUrl), null, signedOut == "1"));

    private static async Task<IResult> SignInAsync(
        HttpContext context, [FromForm(Name = "key")] string? key, [FromForm(Name = "returnUrl")] string? returnUrl,
        ApiKeyService keys, SessionRegistry sessions, INeedleStore store, SignInGuard guard, CancellationToken cancellationToken)
    {
        var address = Http.RateLimits.Address(context);
        if (guard.TryBegin(address) is { } wait)
        {
            // Too many refused sign-ins from this address: not even checked until it stays quiet (counted, not audited one by one).
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return Page<SignInPage>(new SignInModel(Frame(context, "Sign in", "signin"), LocalPath(returnUrl),
                "Too many refused sign-ins from this address. Wait a minute, then sign in with a valid key.", false), StatusCodes.Status429TooManyRequests);
        }

        try
        {
            return await SignInCheckedAsync(context, address, key, returnUrl, keys, sessions, store, guard, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            guard.End(address);
        }
    }

    private static async Task<IResult> SignInCheckedAsync(HttpContext context, string address, string? key, string? returnUrl,
        ApiKeyService keys, SessionRegistry sessions, INeedleStore store, SignInGuard guard, CancellationToken cancellationToken)
    {
        var presented = key?.Trim() ?? "";
        var record = presented.Length == 0 ? null : await keys.AuthenticateAsync(presented, cancellationToken).ConfigureAwait(false);
        string? problem = null;
        if (record is null)
        {
            problem = "That key is not valid: it may be mistyped, revoked or expired.";
        }
        else if (record.Role is ApiRole.Submitter or ApiRole.Integration)
        {
            problem = $"This is {(record.Role == ApiRole.Submitter ? "a submitter" : "an integration")} key: it can call the API but not open the review pages. Sign in with a reviewer, admin or auditor key.";
        }
        else if (record.Role == ApiRole.Exchange)
        {
            problem = "This is an exchange key: another Needle server reads lists with it; it cannot open the review pages. Sign in with a reviewer, admin or auditor key.";
        }

        if (problem is not null)
        {
            // Refusals are audited with the key id when the text names one (never the secret): the first of a burst
            // from an address at once, the rest of the burst as one entry with the counts.
            var actor = ApiKeyService.TryGetKeyId(presented, out var triedId) ? triedId.ToString("N") : "anonymous";
            await guard.RefusedAsync(address, actor, record is null ? "invalid-key" : record.Role == ApiRole.Submitter ? "submitter-key" : "integration-key", cancellationToken).ConfigureAwait(false);
            return Page<SignInPage>(new SignInModel(Frame(context, "Sign in", "signin"), LocalPath(returnUrl), problem, false), StatusCodes.Status401Unauthorized);
        }

        var sessionId = sessions.Open(record!.Id);
        await store.Audit.AppendAsync(new AuditEntryDraft(record.Id.ToString("N"), "session.signin", "session",
            JsonSerializer.Serialize(new { role = Auth.Policies.RoleName(record.Role) }), Remote(context)), cancellationToken).ConfigureAwait(false);
        await context.SignInAsync(WebSession.Scheme, WebSession.Principal(record, sessionId), new AuthenticationProperties
        {
            IsPersistent = false,
            AllowRefresh = true,
        }).ConfigureAwait(false);
        var user = new WebUser(record.Id, record.Name, Auth.Policies.RoleName(record.Role));
        return Results.Redirect(LocalPath(returnUrl) ?? Home(user));
    }

    private static async Task<IResult> SignOutAsync(HttpContext context, SessionRegistry sessions, INeedleStore store, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        if (context.User.FindFirstValue(WebSession.SessionIdClaim) is { } sessionId)
        {
            sessions.End(sessionId);
        }

        await store.Audit.AppendAsync(new AuditEntryDraft(user.Actor, "session.signout", "session", null, Remote(context)), cancellationToken).ConfigureAwait(false);
        await context.SignOutAsync(WebSession.Scheme).ConfigureAwait(false);
        return Results.Redirect("/signin?signedOut=1");
    }

    /// <summary>A return address only when it is a path on this server (never another site): see <see cref="ReturnUrl"/>.</summary>
    private static string? LocalPath(string? url) => ReturnUrl.Local(url);

    // ---------------------------------------------------------------- queue

    private static async Task<IResult> QueueAsync(
        HttpContext context, INeedleStore store, HashListService host, TimeProvider time,
        string? state, string? jurisdiction, string? country, string? list, string? reporter, string? after, string? claimed, string? view, string? sort,
        CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var settings = await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false);
        var reviewState = state is not null && Enum.TryParse<ReviewState>(state, true, out var parsed) && Enum.IsDefined(parsed) ? parsed : ReviewState.AwaitingReview;
        var filters = new QueueFilters(reviewState.ToString(), Blank(jurisdiction), Blank(country)?.ToUpperInvariant(), Blank(list), Blank(reporter))
        {
            ShowClaimed = claimed == "show",
            View = view == "table" ? "table" : null,
            Sort = sort is "age" or "files" ? sort : null,
        };
        var now = time.GetUtcNow();
        Page<QueueItem> page;
        var frame = Frame(context, "Queue", "queue", settings.Effective.BreakMinutes ?? 0) with { Keys = settings.Effective.KeysForScript() };
        var query = new QueueQuery
        {
            State = reviewState,
            JurisdictionQueue = filters.Jurisdiction,
            Country = filters.Country is { Length: 2 } ? filters.Country : null,
            ListName = filters.List,
            Reporter = filters.Reporter,
            Viewer = user.Actor,
            ExcludeClaimedByOthers = !filters.ShowClaimed,
            Order = filters.Sort switch
            {
                "age" => QueueOrder.Age,
                "files" => QueueOrder.Files,
                _ => QueueOrder.Score,
            },
            After = Blank(after),
            Limit = QueuePageSize,
        };
        var total = await store.Triage.CountQueueAsync(query, now, cancellationToken).ConfigureAwait(false);
        var hiddenClaimed = total == 0 && !filters.ShowClaimed
            ? await store.Triage.CountQueueAsync(query with { ExcludeClaimedByOthers = false }, now, cancellationToken).ConfigureAwait(false)
            : 0;
        try
        {
            page = await store.Triage.QueueAsync(query, now, cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            page = new Page<QueueItem>([], null);
            frame = frame with { Error = "That page link is no longer valid; showing the first page." };
        }

        var listNames = host.Lists.Select(static l => l.Name).Order(StringComparer.Ordinal).ToList();
        var names = await CaseWebEndpoints.KeyNamesAsync(store, cancellationToken).ConfigureAwait(false);
        var holders = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in page.Items)
        {
            if (item.Claim is { } held && !holders.ContainsKey(held.ClaimedBy))
            {
                holders[held.ClaimedBy] = await ReviewerNameAsync(store, held.ClaimedBy, cancellationToken).ConfigureAwait(false);
            }
        }

        return Page<QueuePage>(new QueueModel(frame, filters, page.Items, page.Next, listNames, now, user.Actor, names) { Total = total, Holders = holders, HiddenClaimed = hiddenClaimed });
    }

    private static string? Blank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static async Task<IResult> ClaimAsync(Guid id, HttpContext context, INeedleStore store, TimeProvider time,
        [FromForm(Name = "returnUrl")] string? returnUrl, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var now = time.GetUtcNow();
        var result = await store.Triage.TryClaimAsync(id, user.Actor, now, now + ClaimDuration,
            new AuditEntryDraft(user.Actor, "report.claim", $"report/{id:N}", null, Remote(context)), cancellationToken).ConfigureAwait(false);
        var back = LocalPath(returnUrl) ?? $"/reports/{id}";
        return result switch
        {
            null => Results.Redirect(WithNotice("/queue", "That report no longer exists.", error: true)),
            { Granted: true } => Results.Redirect(WithNotice(back, "Claimed for 30 minutes: others will not open it meanwhile.")),
            _ => Results.Redirect(WithNotice(back, "Someone else has claimed this report.", error: true)),
        };
    }

    private static async Task<IResult> ReleaseAsync(Guid id, HttpContext context, INeedleStore store,
        [FromForm(Name = "returnUrl")] string? returnUrl, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var released = await store.Triage.ReleaseClaimAsync(id, user.Actor, force: false,
            new AuditEntryDraft(user.Actor, "report.release", $"report/{id:N}", null, Remote(context)), cancellationToken).ConfigureAwait(false);
        var back = LocalPath(returnUrl) ?? "/queue";
        return Results.Redirect(WithNotice(back, released ? "Released." : "You held no claim on that report.", error: !released));
    }

    // ---------------------------------------------------------------- report

    private static async Task<IResult> ReportAsync(Guid id, HttpContext context, INeedleStore store, TimeProvider time, ScoringOptions scoring, WebDecisions webDecisions,
        VideoKeyframeCache keyframes, string? claim, IServiceProvider services, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var report = await store.Reports.GetAsync(id, cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            return Results.Redirect(WithNotice("/queue", "There is no such report.", error: true));
        }

        var triage = store.Triage;
        var settings = await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false);
        var score = await triage.GetScoreAsync(id, cancellationToken).ConfigureAwait(false);
        var held = await triage.GetClaimAsync(id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (claim == "1" && (held is null || held.ClaimedBy == user.Actor))
        {
            // Opened from the queue: the report is the viewer's while they work on it (renewed when it was already).
            var now = time.GetUtcNow();
            var claimed = await triage.TryClaimAsync(id, user.Actor, now, now + ClaimDuration,
                new AuditEntryDraft(user.Actor, "report.claim", $"report/{id:N}", null, Remote(context)), cancellationToken).ConfigureAwait(false);
            held = claimed?.Claim ?? held;
        }

        var heldBy = held is not null && held.ClaimedBy != user.Actor ? await ReviewerNameAsync(store, held.ClaimedBy, cancellationToken).ConfigureAwait(false) : null;
        var decisions = await triage.GetCurrentDecisionsAsync(id, cancellationToken).ConfigureAwait(false);
        var links = await triage.GetLinksAsync(id, cancellationToken).ConfigureAwait(false);
        var bundle = await triage.GetBundleAsync(id, 500, cancellationToken).ConfigureAwait(false);

        var files = new List<ReviewFile>(report.Files.Count);
        var markers = new List<MapMarker>();
        var feedback = await Endpoints.FeedbackEndpoints.ForFilesAsync(store, report.Files, cancellationToken).ConfigureAwait(false);

        // Similar scenes in other reports (the robust tier's descriptors), for the first files still to review; the
        // bundle's reports are shown as related already.
        var excluded = new HashSet<Guid>(bundle) { id };
        var similarShown = 0;
        foreach (var file in report.Files)
        {
            var history = await triage.GetDecisionHistoryAsync(file.Id, cancellationToken).ConfigureAwait(false);
            var isVideo = IsVideo(file.ContentType, file.OriginalName);
            var current = decisions.GetValueOrDefault(file.Id);
            var keyframeCount = 0;
            if (isVideo && file.HasMedia && (current is null || current.Category == DecisionCategory.NeedsEscalation)
                && await store.Reports.GetMediaAsync(file.Id, cancellationToken).ConfigureAwait(false) is { } video)
            {
                keyframeCount = (await keyframes.GetAsync(video, file.Video?.Duration, cancellationToken).ConfigureAwait(false)).Count;
            }

            var canPreview = file.HasMedia && (isVideo || file.State == FileState.Hashed);
            files.Add(new ReviewFile(file, current, history, isVideo, canPreview)
            {
                ListCategory = WebDecisions.ListCategory(file),
                Keyframes = keyframeCount,
                Feedback = feedback,
                Similar = canPreview && current is null && similarShown++ < MaxSimilarFiles && services.GetService<SimilarMediaIndex>() is { } similar
                    && await similar.GetFeaturesAsync(file.Id, cancellationToken).ConfigureAwait(false) is { } features
                    ? await similar.FindAsync(features.Descriptor, excluded, SimilarPerFile, MinSimilarShown, cancellationToken).ConfigureAwait(false)
                    : [],
            });
            if (file.Clues?.Gps is { } gps)
            {
                var (x, y) = WorldMap.Project(gps.Latitude, gps.Longitude);
                markers.Add(new MapMarker(x, y, $"File {file.Ordinal + 1}: {gps.Latitude.ToString("0.0000", CultureInfo.InvariantCulture)}, {gps.Longitude.ToString("0.0000", CultureInfo.InvariantCulture)}{(gps.CountryName is { } name ? " (" + name + ")" : "")}"));
            }
        }

        var related = new List<RelatedReport>();
        foreach (var group in links.GroupBy(static l => l.OtherReportId))
        {
            // Named by their own id for the first few; past that the short id is enough.
            var other = related.Count < 20 ? await store.Reports.GetAsync(group.Key, cancellationToken).ConfigureAwait(false) : null;
            related.Add(new RelatedReport(group.Key, other?.Submission.ExternalId, [.. group]));
        }

        var bundleReports = new List<RelatedReport>(bundle.Count);
        foreach (var member in bundle)
        {
            var other = bundleReports.Count < 50 ? await store.Reports.GetAsync(member, cancellationToken).ConfigureAwait(false) : null;
            bundleReports.Add(new RelatedReport(member, other?.Submission.ExternalId, []));
        }

        // Opening a report shows its blurred thumbnails: the view is audited with the files shown (and the similar files
        // of other reports pointed to, whose thumbnails are audited as they load).
        await store.Audit.AppendAsync(new AuditEntryDraft(user.Actor, "report.view", $"report/{id:N}",
            JsonSerializer.Serialize(new { files = files.Count(f => f.Current is null && f.CanPreview), similar = files.Sum(f => f.Similar.Count) }), Remote(context)), cancellationToken).ConfigureAwait(false);

        var frame = Frame(context, "Report " + (report.Submission.ExternalId ?? Format.Id(id)), "queue", settings.Effective.BreakMinutes ?? 0) with
        {
            Keys = settings.Effective.KeysForScript(),
        };
        var caseModel = await CaseWebEndpoints.LoadAsync(store, id, cancellationToken).ConfigureAwait(false);
        return Page<ReportPage>(new ReportModel(frame, report, score, held, files, related, bundle.Count, settings.Effective, markers, user.Actor, caseModel)
        {
            HeldBy = heldBy,
            Series = ReviewSeries.Group(files, scoring),
            Pending = webDecisions.Pending(id, user.Actor),
            BundleReports = bundleReports,
            UndoWindow = webDecisions.UndoWindow,
        });
    }

    /// <summary>The name of the reviewer whose key id (N form) holds a claim; the id itself when the key is gone.</summary>
    internal static async Task<string> ReviewerNameAsync(INeedleStore store, string actor, CancellationToken cancellationToken)
    {
        if (Guid.TryParseExact(actor, "N", out var keyId) && await store.Keys.FindAsync(keyId, cancellationToken).ConfigureAwait(false) is { } key)
        {
            return key.Name;
        }

        return actor;
    }

    /// <summary>
    /// Someone other than the viewer holds the report: reveals and decisions are refused (409 with the holder's name),
    /// whatever the page showed.
    /// </summary>
    internal static async Task<IResult?> HeldByOtherAsync(Guid reportId, WebUser user, INeedleStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var held = await store.Triage.GetClaimAsync(reportId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (held is null || held.ClaimedBy == user.Actor)
        {
            return null;
        }

        var name = await ReviewerNameAsync(store, held.ClaimedBy, cancellationToken).ConfigureAwait(false);
        return Results.Problem(statusCode: StatusCodes.Status409Conflict, title: "Claimed by someone else",
            detail: $"{name} holds this report until {Format.Time(held.ExpiresAt)}: it is read-only for you.");
    }

    private static async Task<IResult> DecideAsync(Guid id, Guid fileId, HttpContext context, INeedleStore store, TimeProvider time,
        [FromForm(Name = "category")] string? category, [FromForm(Name = "note")] string? note, [FromForm(Name = "bundle")] string? bundle,
        CancellationToken cancellationToken)
    {
        var back = $"/reports/{id}";
        if (await HeldByOtherAsync(id, WebUser.From(context.User), store, time, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        if (!TryParseCategory(category, out var decided))
        {
            return Results.Redirect(WithNotice(back, "Choose a category (0-4) or needs escalation.", error: true));
        }

        var file = await store.Reports.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false);
        if (file is null || file.ReportId != id)
        {
            return Results.Redirect(WithNotice(back, "That file is not part of this report.", error: true));
        }

        var decisions = context.RequestServices.GetRequiredService<WebDecisions>();
        var user = WebUser.From(context.User);
        var outcome = await decisions.DecideAsync([file], decided, Blank(note), bundle == "on", user.Actor, Remote(context), cancellationToken).ConfigureAwait(false);
        return Results.Redirect(WithNotice(back, outcome.Sentence));
    }

    private static async Task<IResult> FalsePositiveAsync(Guid id, Guid fileId, HttpContext context, INeedleStore store, TimeProvider time,
        [FromForm(Name = "list")] string? list, [FromForm(Name = "entry")] int? entry, [FromForm(Name = "note")] string? note,
        [FromForm(Name = "confirm")] string? confirm, CancellationToken cancellationToken)
    {
        var back = $"/reports/{id}";
        if (await HeldByOtherAsync(id, WebUser.From(context.User), store, time, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        if (confirm != "yes")
        {
            // Sending an entry to the allow list stops it matching everywhere: the form says so and asks to confirm.
            return Results.Redirect(WithNotice(back, "Confirm the false positive: tick the box that says what it will change.", error: true));
        }

        var file = await store.Reports.GetFileAsync(fileId, cancellationToken).ConfigureAwait(false);
        if (file is null || file.ReportId != id || list is null || entry is null || !file.Matches.Any(m => m.ListName == list && m.EntryId == entry))
        {
            return Results.Redirect(WithNotice(back, "That match is not on this file.", error: true));
        }

        var decisions = context.RequestServices.GetRequiredService<WebDecisions>();
        var (done, outcome) = await decisions.MarkFalsePositiveAsync(fileId, list, entry.Value, Blank(note), WebUser.From(context.User).Actor, Remote(context), cancellationToken).ConfigureAwait(false);
        return Results.Redirect(WithNotice(back, outcome, error: !done));
    }

    internal static bool TryParseCategory(string? text, out DecisionCategory category)
    {
        category = default;
        if (text is "e" or "escalate" or "needs-escalation")
        {
            category = DecisionCategory.NeedsEscalation;
            return true;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 0 and <= 4)
        {
            category = (DecisionCategory)number;
            return true;
        }

        return false;
    }

    public static string CategoryText(DecisionCategory category) => category switch
    {
        DecisionCategory.NonPertinent => "0 · not pertinent",
        DecisionCategory.ChildAbuseMaterial => "1 · child abuse material",
        DecisionCategory.ExploitativeOrAgeDifficult => "2 · exploitative / age-difficult",
        DecisionCategory.CgiOrAnimation => "3 · CGI / animation",
        DecisionCategory.Comparison => "4 · comparison",
        DecisionCategory.NeedsEscalation => "needs escalation",
        _ => category.ToString(),
    };

    // ---------------------------------------------------------------- media: blurred thumbnails and audited reveals

    private static async Task<IResult> ThumbnailAsync(Guid id, HttpContext context, INeedleStore store, MediaProtector protector, ImageDecoder decoder, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var media = await store.Reports.GetMediaAsync(id, cancellationToken).ConfigureAwait(false);
        if (media is null)
        {
            return Results.NotFound();
        }

        if (await RefusedByHasherAsync(store, media, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var settings = (await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false)).Effective;
        var bytes = await StillImageAsync(media, protector.Unprotect(media.EncryptedBytes, id), MediaRoot(context), cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return Results.NotFound();
        }

        var thumbnail = ProtectedImages.Thumbnail(decoder, bytes, settings.ThumbnailSize!.Value, settings.BlurStrength!.Value, settings.Greyscale!.Value, cancellationToken);
        if (thumbnail.Image is null)
        {
            return CannotBeShown(thumbnail.Refusal);
        }

        await store.Audit.AppendAsync(new AuditEntryDraft(user.Actor, "media.thumbnail", $"file/{id:N}",
            JsonSerializer.Serialize(new { report = media.ReportId, blur = settings.BlurStrength, greyscale = settings.Greyscale, size = settings.ThumbnailSize }),
            Remote(context)), cancellationToken).ConfigureAwait(false);
        return TypedResults.File(thumbnail.Image, "image/png");
    }

    private static async Task<IResult> RevealAsync(Guid id, HttpContext context, INeedleStore store, MediaProtector protector, ImageDecoder decoder, TimeProvider time,
        string? colour, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var media = await store.Reports.GetMediaAsync(id, cancellationToken).ConfigureAwait(false);
        if (media is null)
        {
            return Results.NotFound();
        }

        if (await store.Triage.GetClaimAsync(media.ReportId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } held && held.ClaimedBy != user.Actor)
        {
            // Read-only for everyone but the holder: nothing is revealed (and nothing audited as seen).
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Claimed by someone else",
                detail: $"{await ReviewerNameAsync(store, held.ClaimedBy, cancellationToken).ConfigureAwait(false)} holds this report.");
        }

        if (await RefusedByHasherAsync(store, media, cancellationToken).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var settings = (await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false)).Effective;
        var bytes = await StillImageAsync(media, protector.Unprotect(media.EncryptedBytes, id), MediaRoot(context), cancellationToken).ConfigureAwait(false);
        if (bytes is null)
        {
            return Results.NotFound();
        }

        // Colour for this one reveal only when asked for (the toggle on the revealed file); otherwise the person's setting.
        var inColour = colour == "1";
        var revealed = ProtectedImages.Reveal(decoder, bytes, settings.Greyscale!.Value && !inColour, cancellationToken);
        if (revealed.Image is null)
        {
            return CannotBeShown(revealed.Refusal);
        }

        // Audited before a byte is sent: if the audit cannot be written, nothing is revealed.
        await store.Audit.AppendAsync(new AuditEntryDraft(user.Actor, "media.reveal", $"file/{id:N}",
            JsonSerializer.Serialize(new { report = media.ReportId, size = ProtectedImages.RevealSize, colour = inColour || !settings.Greyscale.Value }), Remote(context)), cancellationToken).ConfigureAwait(false);
        return TypedResults.File(revealed.Image, "image/jpeg");
    }

    /// <summary>One keyframe of a video (<see cref="VideoKeyframeCache"/>), blurred and grey like any thumbnail; audited.</summary>
    private static async Task<IResult> KeyframeThumbnailAsync(Guid id, int index, HttpContext context, INeedleStore store, ImageDecoder decoder, VideoKeyframeCache keyframes,
        CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var (media, frame) = await KeyframeAsync(id, index, store, keyframes, cancellationToken).ConfigureAwait(false);
        if (media is null || frame is null)
        {
            return Results.NotFound();
        }

        var settings = (await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false)).Effective;
        var thumbnail = ProtectedImages.Thumbnail(decoder, frame, settings.ThumbnailSize!.Value, settings.BlurStrength!.Value, settings.Greyscale!.Value, cancellationToken);
        if (thumbnail.Image is null)
        {
            return CannotBeShown(thumbnail.Refusal);
        }

        await store.Audit.AppendAsync(new AuditEntryDraft(user.Actor, "media.thumbnail", $"file/{id:N}",
            JsonSerializer.Serialize(new { report = media.ReportId, keyframe = index, blur = settings.BlurStrength, greyscale = settings.Greyscale, size = settings.ThumbnailSize }),
            Remote(context)), cancellationToken).ConfigureAwait(false);
        return TypedResults.File(thumbnail.Image, "image/png");
    }

    /// <summary>One keyframe revealed (one at a time on the page, like any reveal): refused to others than the claim's holder; audited before a byte is sent.</summary>
    private static async Task<IResult> KeyframeRevealAsync(Guid id, int index, HttpContext context, INeedleStore store, ImageDecoder decoder, VideoKeyframeCache keyframes,
        TimeProvider time, string? colour, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var (media, frame) = await KeyframeAsync(id, index, store, keyframes, cancellationToken).ConfigureAwait(false);
        if (media is null || frame is null)
        {
            return Results.NotFound();
        }

        if (await store.Triage.GetClaimAsync(media.ReportId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false) is { } held && held.ClaimedBy != user.Actor)
        {
            return Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Claimed by someone else",
                detail: $"{await ReviewerNameAsync(store, held.ClaimedBy, cancellationToken).ConfigureAwait(false)} holds this report.");
        }

        var settings = (await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false)).Effective;
        var inColour = colour == "1";
        var revealed = ProtectedImages.Reveal(decoder, frame, settings.Greyscale!.Value && !inColour, cancellationToken);
        if (revealed.Image is null)
        {
            return CannotBeShown(revealed.Refusal);
        }

        await store.Audit.AppendAsync(new AuditEntryDraft(user.Actor, "media.reveal", $"file/{id:N}",
            JsonSerializer.Serialize(new { report = media.ReportId, keyframe = index, size = ProtectedImages.RevealSize, colour = inColour || !settings.Greyscale.Value }),
            Remote(context)), cancellationToken).ConfigureAwait(false);
        return TypedResults.File(revealed.Image, "image/jpeg");
    }

    private static async Task<(StoredMedia? Media, byte[]? Frame)> KeyframeAsync(Guid id, int index, INeedleStore store, VideoKeyframeCache keyframes, CancellationToken cancellationToken)
    {
        var media = await store.Reports.GetMediaAsync(id, cancellationToken).ConfigureAwait(false);
        if (media is null || !IsVideo(media.ContentType, media.OriginalName) || index < 0)
        {
            return (null, null);
        }

        var file = await store.Reports.GetFileAsync(id, cancellationToken).ConfigureAwait(false);
        var frames = await keyframes.GetAsync(media, file?.Video?.Duration, cancellationToken).ConfigureAwait(false);
        return (media, index < frames.Count ? frames[index] : null);
    }

    /// <summary>
    /// An image the hasher could not decode (stored as unreadable) is never decoded for display: the answer is a 422
    /// problem with the hasher's reason. Videos are shown from their poster frame whatever their state.
    /// </summary>
    private static async Task<IResult?> RefusedByHasherAsync(INeedleStore store, StoredMedia media, CancellationToken cancellationToken)
    {
        if (IsVideo(media.ContentType, media.OriginalName))
        {
            return null;
        }

        var file = await store.Reports.GetFileAsync(media.FileId, cancellationToken).ConfigureAwait(false);
        return file is { State: FileState.Unreadable } ? CannotBeShown(file.Error) : null;
    }

    /// <summary>A picture that cannot be shown: 422 with a short reason (never a path), instead of decoding it or failing with 500.</summary>
    private static IResult CannotBeShown(string? reason) =>
        Results.Problem(statusCode: StatusCodes.Status422UnprocessableEntity, title: "The picture cannot be shown",
            detail: ProtectedImages.CannotBeShown(reason));

    private static bool IsVideo(string? contentType, string? name) =>
        contentType?.StartsWith("video/", StringComparison.OrdinalIgnoreCase) == true || name is not null && VideoFiles.IsVideo(name);

    /// <summary>The picture to show for a file: the image itself, or a video's poster frame (the video is never sent).</summary>
    private static string? MediaRoot(HttpContext context) => context.RequestServices.GetRequiredService<NeedleServerOptions>().MediaTempDirectory;

    private static async Task<byte[]?> StillImageAsync(StoredMedia media, byte[] bytes, string? mediaRoot, CancellationToken cancellationToken)
    {
        if (!IsVideo(media.ContentType, media.OriginalName))
        {
            return bytes;
        }

        // ffmpeg needs a file it can seek: the decrypted video exists only for this call, readable by this user alone.
        var path = await PrivateMediaFiles.WriteAsync(bytes, mediaRoot, cancellationToken).ConfigureAwait(false);
        try
        {
            return await VideoPosterFrame.ExtractAsync(path, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (VideoHashException)
        {
            return null;
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ---------------------------------------------------------------- lists

    private static ListRow Row(HashList list)
    {
        var enabled = 0;
        foreach (var entry in list.Entries)
        {
            if (entry.Enabled)
            {
                enabled++;
            }
        }

        return new ListRow(list.Name, list.Kind, list.PdqThreshold, list.PhotoDnaThreshold, list.Entries.Count, enabled);
    }

    private static async Task<RazorComponentResult<ListsPage>> ListsPage(HttpContext context, HashListService host, Needle.Application.Exchanges.ExchangeService exchanges,
        NeedleServerOptions options, CancellationToken cancellationToken)
    {
        var rows = host.Lists.Select(Row).OrderBy(static l => l.Name, StringComparer.Ordinal).ToList();
        var overview = await exchanges.OverviewAsync(cancellationToken).ConfigureAwait(false);
        var quarantined = new Dictionary<string, int>(StringComparer.Ordinal);
        var quarantinedEntries = new List<Needle.Core.Lists.EntryQuarantine>();
        foreach (var row in rows)
        {
            var held = await host.GetQuarantinedAsync(row.Name, cancellationToken).ConfigureAwait(false);
            if (held.Count > 0)
            {
                quarantined[row.Name] = held.Count;
                quarantinedEntries.AddRange(held);
            }
        }

        var guarded = options.FloodGuard.Scope switch
        {
            FloodGuardScope.AllLists => rows.Select(static r => r.Name).ToHashSet(StringComparer.Ordinal),
            FloodGuardScope.ExchangeLists => overview.Select(static e => e.Exchange.List).ToHashSet(StringComparer.Ordinal),
            _ => [],
        };
        return Page<ListsPage>(new ListsModel(Frame(context, "Lists", "lists"), rows, [.. HashListFormats.Default.Formats.Select(static f => f.Name)], ExportFormats())
        {
            Exchanges = overview,
            ExchangeKinds = [.. Needle.Core.Exchanges.ExchangeKinds.All.Select(static k => (k, Needle.Application.Exchanges.ExchangeService.CredentialNames(k)))],
            ExchangeSettings = Needle.Application.Exchanges.ExchangeService.SettingNames,
            FloodGuarded = guarded,
            Quarantined = quarantined,
            QuarantinedEntries = quarantinedEntries,
        });
    }

    private static List<string> ExportFormats() => [.. HashListFormats.Default.Formats.Select(static f => f.Name), "vics-1.3"];

    private static async Task<IResult> CreateListAsync(HttpContext context, HashListService host,
        [FromForm(Name = "name")] string? listName, [FromForm(Name = "kind")] string? listKind, [FromForm(Name = "pdqThreshold")] string? pdqThreshold,
        CancellationToken cancellationToken)
    {
        var name = Blank(listName);
        var kind = listKind == "allow" ? HashListKind.Allow : HashListKind.Known;
        double? threshold = double.TryParse(pdqThreshold, NumberStyles.Float, CultureInfo.InvariantCulture, out var t) ? t : null;
        if (name is null)
        {
            return Results.Redirect(WithNotice("/lists", "A list needs a name.", error: true));
        }

        try
        {
            await host.CreateListAsync(name, kind, threshold, WebUser.From(context.User).Actor, Remote(context), cancellationToken).ConfigureAwait(false);
            return Results.Redirect(WithNotice("/lists/" + Uri.EscapeDataString(name), $"List '{Problems.Echo(name)}' created."));
        }
        catch (ListAlreadyExistsException)
        {
            return Results.Redirect(WithNotice("/lists", $"A list named '{Problems.Echo(name)}' exists already.", error: true));
        }
        catch (ArgumentException ex)
        {
            return Results.Redirect(WithNotice("/lists", Problems.Echo(ex.Message.Split(" (Parameter", 2)[0], 300), error: true));
        }
    }

    private static async Task<IResult> ListEntriesPage(string name, int? page, HttpContext context, HashListService host, CancellationToken cancellationToken)
    {
        if (host.FindList(name) is not { } list)
        {
            return Results.Redirect(WithNotice("/lists", $"There is no list named '{Problems.Echo(name)}'.", error: true));
        }

        var entries = list.Entries;
        var pageCount = Math.Max(1, (entries.Count + EntriesPageSize - 1) / EntriesPageSize);
        var current = Math.Clamp(page ?? 1, 1, pageCount);
        var shown = new List<HashListEntry>(EntriesPageSize);
        for (var i = (current - 1) * EntriesPageSize; i < Math.Min(entries.Count, current * EntriesPageSize); i++)
        {
            shown.Add(entries[i]);
        }

        var quarantined = await host.GetQuarantinedAsync(name, cancellationToken).ConfigureAwait(false);
        return Page<ListEntriesPage>(new ListEntriesModel(Frame(context, "List " + name, "lists"), Row(list), shown, current, pageCount, EntriesPageSize, ExportFormats())
        {
            Quarantined = quarantined,
        });
    }

    private static async Task<IResult> ImportListAsync(string name, HttpContext context, ListImporter importer, NeedleServerOptions options,
        IFormFile? file, [FromForm(Name = "format")] string? format, [FromForm(Name = "skipInvalid")] string? skipInvalid, CancellationToken cancellationToken)
    {
        var back = "/lists/" + Uri.EscapeDataString(name);
        if (file is null || file.Length == 0)
        {
            return Results.Redirect(WithNotice(back, "Choose a list file to import.", error: true));
        }

        if (file.Length > options.MaxListImportBytes)
        {
            return Results.Redirect(WithNotice(back, "That file is larger than this server imports.", error: true));
        }

        // Streamed as the API's import is: to a temporary file, then parsed from it straight into the store (which deletes it).
        var chosen = Blank(format) is { } f && f != "detect" ? f : null;
        var path = Processing.ListImportFiles.NewPath();
        var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await using (target.ConfigureAwait(false))
        {
            await file.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
        }

        var user = WebUser.From(context.User);
        Needle.Core.Lists.ListImportRecord done;
        try
        {
            done = await importer.RunAsync(
                    new ListImportRequest
                    {
                        ListName = name,
                        FilePath = path,
                        Format = chosen,
                        SkipInvalid = skipInvalid == "on",
                        Actor = user.Actor,
                        RemoteAddress = Remote(context),
                        Node = Processing.WorkerIdentity.Create(Environment.MachineName, Environment.ProcessId, 0),
                    },
                    cancellationToken)
                .ConfigureAwait(false);
        }
        catch (ArgumentException)
        {
            File.Delete(path);
            return Results.Redirect(WithNotice("/lists", "Unknown list.", error: true));
        }

        if (done.State != Needle.Core.Lists.ListImportState.Succeeded)
        {
            return Results.Redirect(WithNotice(back, "Nothing was imported: " + (done.Errors.Count > 0 ? done.Errors[0] : "the import failed"), error: true));
        }

        return Results.Redirect(WithNotice(back, $"Imported {done.Imported} entries ({done.Format}; {done.RecordsRead} records read, {done.Invalid} skipped)."));
    }

    private static IResult ExportList(string name, string? format, HashListService host)
    {
        var formatName = Blank(format) ?? "needle";
        if (host.FindList(name) is not { } list || !HashListFormats.Default.TryGet(formatName, out var writer))
        {
            return Results.Redirect(WithNotice("/lists", "Unknown list or format.", error: true));
        }

        using var stream = new MemoryStream();
        try
        {
            writer.Write(list, stream);
        }
        catch (NotSupportedException ex)
        {
            return Results.Redirect(WithNotice("/lists/" + Uri.EscapeDataString(name), $"The list cannot be written as {formatName}: {ex.Message}", error: true));
        }

        var extension = writer.Name switch { "csv" => "csv", "text" => "txt", "needle" or "vics" or "stopncii" => "json", _ => "dat" };
        return TypedResults.File(stream.ToArray(), writer.Name == "csv" ? "text/csv" : "application/octet-stream", $"{name}.{extension}");
    }

    private static async Task<IResult> SetEntryEnabledAsync(string name, int id, HttpContext context, HashListService host,
        [FromForm(Name = "enabled")] string? enabled, [FromForm(Name = "page")] int? page, CancellationToken cancellationToken)
    {
        var on = enabled == "true";
        var changed = await host.SetEntryEnabledAsync(name, id, on, WebUser.From(context.User).Actor, Remote(context), cancellationToken).ConfigureAwait(false);
        var back = "/lists/" + Uri.EscapeDataString(name) + "?page=" + (page ?? 1).ToString(CultureInfo.InvariantCulture);
        return Results.Redirect(WithNotice(back, changed ? $"Entry {id} {(on ? "enabled" : "disabled")}." : $"No entry {id}.", error: !changed));
    }

    private static async Task<IResult> ReleaseEntryAsync(string name, int id, HttpContext context, HashListService host, INeedleStore store, CancellationToken cancellationToken)
    {
        var released = await host.ReleaseAsync(name, id, WebUser.From(context.User).Actor, Remote(context), cancellationToken).ConfigureAwait(false);
        if (released)
        {
            // As the API does: scores of open reports may depend on the entry matching again.
            await store.Jobs.EnqueueAsync(Needle.Core.Jobs.JobKinds.RescoreOpenReports, Guid.Empty, cancellationToken).ConfigureAwait(false);
        }

        var back = "/lists/" + Uri.EscapeDataString(name);
        return Results.Redirect(WithNotice(back, released ? $"Entry {id} released from quarantine." : $"Entry {id} is not in quarantine.", error: !released));
    }

    // ---------------------------------------------------------------- audit

    private static async Task<IResult> AuditAsync(HttpContext context, INeedleStore store,
        string? action, string? actor, string? target, long? before, CancellationToken cancellationToken)
    {
        var filters = new AuditFilters(Blank(action), Blank(actor), Blank(target));
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in await store.Keys.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            names[key.Id.ToString("N")] = key.Name;
        }

        // The log is read forward in batches and the newest matching entries kept: newest first, paged by sequence.
        var matching = new List<AuditEntry>();
        var actions = new SortedSet<string>(StringComparer.Ordinal);
        long after = 0;
        while (true)
        {
            var batch = await store.Audit.ReadAsync(after, 1000, cancellationToken).ConfigureAwait(false);
            if (batch.Count == 0)
            {
                break;
            }

            foreach (var entry in batch)
            {
                actions.Add(entry.Action);
                if ((before is null || entry.Sequence < before)
                    && (filters.Action is null || entry.Action.StartsWith(filters.Action, StringComparison.OrdinalIgnoreCase))
                    && (filters.Actor is null || entry.Actor.Contains(filters.Actor, StringComparison.OrdinalIgnoreCase)
                        || (names.TryGetValue(entry.Actor, out var actorName) && actorName.Contains(filters.Actor, StringComparison.OrdinalIgnoreCase)))
                    && (filters.Target is null || entry.Target.Contains(filters.Target, StringComparison.OrdinalIgnoreCase)))
                {
                    matching.Add(entry);
                }
            }

            after = batch[^1].Sequence;
        }

        matching.Reverse();
        var shown = matching.Count > AuditPageSize ? matching.GetRange(0, AuditPageSize) : matching;
        long? next = matching.Count > AuditPageSize ? shown[^1].Sequence : null;
        var verification = await AuditChain.VerifyAsync(store.Audit, cancellationToken).ConfigureAwait(false);
        return Page<AuditPage>(new AuditModel(Frame(context, "Audit log", "audit"), filters, shown, before, next, verification, [.. actions]) { Names = names });
    }

    // ---------------------------------------------------------------- preferences

    private static async Task<IResult> PreferencesAsync(HttpContext context, INeedleStore store, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var (effective, org, mine) = await ReviewSettings.LoadAsync(store.Settings, user.KeyId, cancellationToken).ConfigureAwait(false);
        return Page<PreferencesPage>(new PreferencesModel(Frame(context, "Preferences", "preferences"), effective, org, mine, user.IsAdmin));
    }

    private static async Task<IResult> SavePreferencesAsync(HttpContext context, INeedleStore store,
        [FromForm(Name = "blur")] int? blur, [FromForm(Name = "greyscale")] string? greyscale, [FromForm(Name = "size")] int? size,
        [FromForm(Name = "reset")] string? reset, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var mine = ReviewSettings.Parse(await store.Settings.GetSettingsAsync(ReviewSettings.UserScope(user.KeyId), cancellationToken).ConfigureAwait(false));
        var settings = (reset == "1" ? new ReviewSettings() : new ReviewSettings
        {
            BlurStrength = blur is null ? null : Math.Clamp(blur.Value, ReviewSettings.MinBlur, ReviewSettings.MaxBlur),
            Greyscale = greyscale == "on",
            ThumbnailSize = size,
        }) with { ShortcutsOff = mine?.ShortcutsOff, Keys = mine?.Keys };
        await store.Settings.SetSettingsAsync(ReviewSettings.UserScope(user.KeyId), settings.ToJson(),
            new AuditEntryDraft(user.Actor, "settings.user", ReviewSettings.UserScope(user.KeyId), settings.ToJson(), Remote(context)), cancellationToken).ConfigureAwait(false);
        return Results.Redirect(WithNotice("/preferences", reset == "1" ? "Your preferences now follow the organisation's defaults." : "Your preferences are saved."));
    }

    /// <summary>One person's keys (or none at all): kept in their own settings document beside the media choices.</summary>
    private static async Task<IResult> SaveShortcutsAsync(HttpContext context, INeedleStore store, [FromForm(Name = "off")] string? off,
        [FromForm(Name = "reset")] string? reset, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var mine = ReviewSettings.Parse(await store.Settings.GetSettingsAsync(ReviewSettings.UserScope(user.KeyId), cancellationToken).ConfigureAwait(false)) ?? new ReviewSettings();
        var keys = new Dictionary<string, string>(StringComparer.Ordinal);
        var used = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (action, fallback, text) in ReviewSettings.ShortcutActions)
        {
            var chosen = reset == "1" ? fallback : (context.Request.Form["key-" + action].ToString() is { Length: 1 } k ? k : fallback);
            if (chosen is " " || !used.TryAdd(chosen, text))
            {
                return Results.Redirect(WithNotice("/preferences#shortcuts", $"The key '{Problems.Echo(chosen)}' is given to two actions ({used.GetValueOrDefault(chosen)}; {text}): choose another.", error: true));
            }

            keys[action] = chosen;
        }

        var settings = mine with { ShortcutsOff = off == "on" && reset != "1", Keys = keys };
        await store.Settings.SetSettingsAsync(ReviewSettings.UserScope(user.KeyId), settings.ToJson(),
            new AuditEntryDraft(user.Actor, "settings.user", ReviewSettings.UserScope(user.KeyId), settings.ToJson(), Remote(context)), cancellationToken).ConfigureAwait(false);
        return Results.Redirect(WithNotice("/preferences", settings.ShortcutsOff == true ? "Single-key shortcuts are off for you." : "Your shortcut keys are saved."));
    }

    private static async Task<IResult> SaveOrgPreferencesAsync(HttpContext context, INeedleStore store,
        [FromForm(Name = "blur")] int? blur, [FromForm(Name = "greyscale")] string? greyscale, [FromForm(Name = "size")] int? size,
        [FromForm(Name = "breakMinutes")] int? breakMinutes, CancellationToken cancellationToken)
    {
        var user = WebUser.From(context.User);
        var settings = new ReviewSettings
        {
            BlurStrength = blur,
            Greyscale = greyscale == "on",
            ThumbnailSize = size,
            BreakMinutes = breakMinutes,
        }.Over(ReviewSettings.Defaults);
        await store.Settings.SetSettingsAsync(ReviewSettings.OrgScope, settings.ToJson(),
            new AuditEntryDraft(user.Actor, "settings.org", ReviewSettings.OrgScope, settings.ToJson(), Remote(context)), cancellationToken).ConfigureAwait(false);
        return Results.Redirect(WithNotice("/preferences", "The organisation's defaults are saved."));
    }
}
