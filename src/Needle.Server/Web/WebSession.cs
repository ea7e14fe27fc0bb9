using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Needle.Core.Access;
using Needle.Core.Storage;
using Needle.Server.Auth;

namespace Needle.Server.Web;

/// <summary>
/// The review pages' sessions: a second authentication scheme (an HttpOnly, SameSite=Strict cookie) next to the API-key
/// scheme, which the API keeps requiring exactly as before. A session is opened by presenting a reviewer, admin or
/// auditor key once; the cookie then names a server-side session in <see cref="SessionRegistry"/>, so signing out ends
/// it for good (a copied cookie stops working), and every request checks the key is still valid (a revoked key ends its
/// sessions at the next page).
/// </summary>
internal static class WebSession
{
    public const string Scheme = "NeedleSession";
    public const string CookieName = "needle_session";
    public const string SessionIdClaim = "needle:session";

    public const string Reviewer = "web:reviewer";
    public const string Admin = "web:admin";
    public const string Auditor = "web:auditor";

    /// <summary>Anyone signed in (reviewer, admin or auditor): the preferences page and sign-out.</summary>
    public const string AnySession = "web:any";

    public static void AddWebSessions(this IServiceCollection services, AuthenticationBuilder authentication, NeedleServerOptions options)
    {
        services.AddSingleton(new SessionRegistry(options.TimeProvider, options.SessionIdleTimeout, options.SessionLifetime));

        // Sessions (and anti-forgery tokens) are protected with keys held in memory: a restart ends every session,
        // and no key material is written to disk.
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "needle_antiforgery";
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "__csrf";
        });

        authentication.AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = CookieName;
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.Cookie.Path = "/";
            cookie.ExpireTimeSpan = options.SessionIdleTimeout;
            cookie.SlidingExpiration = true;
            cookie.LoginPath = "/signin";
            cookie.ReturnUrlParameter = "returnUrl";
            cookie.TimeProvider = options.TimeProvider;
            cookie.Events.OnValidatePrincipal = ValidateAsync;
            cookie.Events.OnRedirectToLogin = context =>
            {
                // Pages send the browser to the sign-in page; anything else (a form post, an image) is simply refused.
                if (HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments("/web"))
                {
                    context.Response.Redirect(context.RedirectUri);
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                }

                return Task.CompletedTask;
            };
            cookie.Events.OnRedirectToAccessDenied = async context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                if (HttpMethods.IsGet(context.Request.Method) && !context.Request.Path.StartsWithSegments("/web"))
                {
                    // A page another role opens (admins do not see media, reviewers do not manage lists): say so plainly.
                    context.Response.ContentType = "text/html; charset=utf-8";
                    await context.Response.WriteAsync(ForbiddenPage).ConfigureAwait(false);
                }
            };
        });
    }

    private const string ForbiddenPage = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>Not for this role · Needle</title><link rel="stylesheet" href="/static/needle.css"></head>
        <body class="signin-body"><main><section class="signin-card"><h1>Not for this role</h1>
        <p class="muted">This page belongs to another role: reviewers open the queue and reports, admins the lists, auditors the audit log.</p>
        <p><a href="/">Back to your start page</a></p></section></main></body></html>
        """;

    public static void AddWebPolicies(AuthorizationOptions options)
    {
        options.AddPolicy(Reviewer, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole("reviewer"));
        options.AddPolicy(Admin, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole("admin"));
        options.AddPolicy(Auditor, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole("auditor"));
        options.AddPolicy(AnySession, policy => policy.AddAuthenticationSchemes(Scheme).RequireAuthenticatedUser().RequireRole("reviewer", "admin", "auditor"));
    }

    /// <summary>The principal a session carries: the key's id, name and role, and the server-side session id.</summary>
    public static ClaimsPrincipal Principal(ApiKeyRecord key, string sessionId) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, key.Id.ToString()),
        new Claim(ApiKeyAuthenticationHandler.KeyIdClaim, key.Id.ToString()),
        new Claim(ClaimTypes.Name, key.Name),
        new Claim(ClaimTypes.Role, Policies.RoleName(key.Role)),
        new Claim(SessionIdClaim, sessionId),
    ], Scheme, ClaimTypes.Name, ClaimTypes.Role));

    /// <summary>
    /// Runs on every request carrying the cookie: the session must still be open (not signed out, not idle too long, not
    /// past its absolute lifetime) and its key still valid with the same role.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var sessions = services.GetRequiredService<SessionRegistry>();
        var principal = context.Principal;
        var sessionId = principal?.FindFirstValue(SessionIdClaim);
        var keyIdText = principal?.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
        if (sessionId is null || !Guid.TryParse(keyIdText, out var keyId) || !sessions.Touch(sessionId, keyId))
        {
            await RejectAsync(context).ConfigureAwait(false);
            return;
        }

        var store = services.GetRequiredService<INeedleStore>();
        var time = services.GetRequiredService<TimeProvider>();
        var key = await store.Keys.FindAsync(keyId, context.HttpContext.RequestAborted).ConfigureAwait(false);
        var now = time.GetUtcNow();
        if (key is null || key.RevokedAt is not null || key.ExpiresAt is { } expires && expires <= now
            || Policies.RoleName(key.Role) != principal!.FindFirstValue(ClaimTypes.Role))
        {
            sessions.End(sessionId);
            await RejectAsync(context).ConfigureAwait(false);
        }
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(Scheme).ConfigureAwait(false);
    }
}

/// <summary>
/// The open review sessions, held in memory (a restart ends them all, as the cookie keys are in memory too). A session
/// ends when signed out, when idle past the idle timeout, or past its absolute lifetime, whichever comes first.
/// </summary>
internal sealed class SessionRegistry(TimeProvider time, TimeSpan idleTimeout, TimeSpan lifetime)
{
    // Bounded: past this many open sessions the expired ones are swept before adding another.
    private const int SweepAbove = 1_000;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public TimeSpan Lifetime => lifetime;

    /// <summary>Opens a session for a key; returns its id (random, 128 bits).</summary>
    public string Open(Guid keyId)
    {
        if (_sessions.Count >= SweepAbove)
        {
            Sweep();
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var now = time.GetUtcNow();
        _sessions[id] = new Session(keyId, now, now);
        return id;
    }

    /// <summary>True (and the session's idle clock restarted) when the session is open and belongs to the key.</summary>
    public bool Touch(string sessionId, Guid keyId)
    {
        if (!_sessions.TryGetValue(sessionId, out var session) || session.KeyId != keyId)
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (IsOver(session, now))
        {
            _sessions.TryRemove(sessionId, out _);
            return false;
        }

        _sessions[sessionId] = session with { LastSeen = now };
        return true;
    }

    /// <summary>When the session opened (for the page footer), if it is open.</summary>
    public DateTimeOffset? OpenedAt(string sessionId) => _sessions.TryGetValue(sessionId, out var session) ? session.OpenedAt : null;

    public void End(string sessionId) => _sessions.TryRemove(sessionId, out _);

    /// <summary>Ends every session of a key (when it is revoked through this server).</summary>
    public void EndAll(Guid keyId)
    {
        foreach (var (id, session) in _sessions)
        {
            if (session.KeyId == keyId)
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }

    private bool IsOver(Session session, DateTimeOffset now) => now - session.LastSeen > idleTimeout || now - session.OpenedAt > lifetime;

    private void Sweep()
    {
        var now = time.GetUtcNow();
        foreach (var (id, session) in _sessions)
        {
            if (IsOver(session, now))
            {
                _sessions.TryRemove(id, out _);
            }
        }
    }

    private sealed record Session(Guid KeyId, DateTimeOffset OpenedAt, DateTimeOffset LastSeen);
}

/// <summary>The signed-in person as the pages need them.</summary>
public sealed record WebUser(Guid KeyId, string Name, string Role)
{
    /// <summary>The audit actor, as the API writes it.</summary>
    public string Actor => KeyId.ToString("N");

    public bool IsReviewer => Role == "reviewer";

    public bool IsAdmin => Role == "admin";

    public bool IsAuditor => Role == "auditor";

    internal static WebUser From(ClaimsPrincipal user) => new(
        Guid.Parse(user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim)!, CultureInfo.InvariantCulture),
        user.FindFirstValue(ClaimTypes.Name) ?? "",
        user.FindFirstValue(ClaimTypes.Role) ?? "");
}
