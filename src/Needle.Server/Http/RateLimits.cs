using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;
using Needle.Server.Auth;
using Needle.Server.Web;

namespace Needle.Server.Http;

/// <summary>
/// The rate limits of <see cref="RateLimitOptions"/> on ASP.NET Core's rate limiter: one global limiter chaining a fixed
/// window per (route class, key) and one per (route class, client address). Runs after authentication (the key is
/// known) and before authorization; a refusal is a 429 problem with <c>Retry-After</c> in whole seconds.
/// </summary>
internal static class RateLimits
{
    public const string Intake = "intake";
    public const string Lookup = "lookup";
    public const string SignIn = "sign-in";
    public const string Other = "other";

    public static void AddNeedleRateLimits(this IServiceCollection services, RateLimitOptions options)
    {
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.CreateChained(PerKey(options), PerAddress(options));
            limiter.OnRejected = OnRejectedAsync;
        });
    }

    /// <summary>The route class of a request, or null for those never limited (health probes, static assets).</summary>
    public static string? RouteClass(HttpRequest request)
    {
        var path = request.Path;
        if (path.StartsWithSegments("/livez") || path.StartsWithSegments("/readyz") || path.StartsWithSegments("/static"))
        {
            return null;
        }

        if (HttpMethods.IsPost(request.Method) && (path.Equals("/api/v1/reports", StringComparison.OrdinalIgnoreCase) || path.Equals("/api/v1/reports/", StringComparison.OrdinalIgnoreCase)))
        {
            return Intake;
        }

        if (path.StartsWithSegments("/api/v1/lookup") || path.StartsWithSegments("/h") || path.StartsWithSegments("/m"))
        {
            return Lookup;
        }

        return HttpMethods.IsPost(request.Method) && path.StartsWithSegments("/signin") ? SignIn : Other;
    }

    private static PartitionedRateLimiter<HttpContext> PerKey(RateLimitOptions options) => PartitionedRateLimiter.Create<HttpContext, string>(context =>
    {
        // Only an API key authenticated by the default scheme; the review pages' cookie is not read this early.
        var keyId = context.User.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim);
        if (!options.Enabled || keyId is null || RouteClass(context.Request) is not { } routeClass)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var role = context.User.FindFirstValue(ClaimTypes.Role);
        var limit = (role is null ? null : options.PerKey.GetValueOrDefault(role + ":" + routeClass)) ?? options.PerKey.GetValueOrDefault(routeClass);
        return limit is null ? RateLimitPartition.GetNoLimiter(string.Empty) : Window($"key|{routeClass}|{keyId}", limit);
    });

    private static PartitionedRateLimiter<HttpContext> PerAddress(RateLimitOptions options) => PartitionedRateLimiter.Create<HttpContext, string>(context =>
    {
        if (!options.Enabled || RouteClass(context.Request) is not { } routeClass || options.PerAddress.GetValueOrDefault(routeClass) is not { } limit)
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        return Window($"address|{routeClass}|{Address(context)}", limit);
    });

    /// <summary>The client's address; an IPv4 address mapped into IPv6 counts as itself.</summary>
    public static string Address(HttpContext context) => context.Connection.RemoteIpAddress is { } address
        ? (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString()
        : "unknown";

    // Replenished by the partitioned limiter's own 100 ms tick: no timer per partition, and idle ones are dropped.
    private static RateLimitPartition<string> Window(string partition, RateLimit limit) => RateLimitPartition.GetFixedWindowLimiter(partition, _ => new FixedWindowRateLimiterOptions
    {
        PermitLimit = limit.Permits,
        Window = limit.Window,
        QueueLimit = 0,
        AutoReplenishment = false,
    });

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)) : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var routeClass = RouteClass(context.Request) ?? Other;
        context.RequestServices.GetService<Needle.Application.Telemetry.NeedleMetrics>()?.RateLimited(routeClass);
        if (routeClass == SignIn)
        {
            // Counted in the address's burst of sign-in attempts (one audit entry per burst, never one per attempt).
            context.RequestServices.GetRequiredService<SignInGuard>().Throttled(Address(context));
        }

        var problem = new ProblemDetails
        {
            Status = StatusCodes.Status429TooManyRequests,
            Title = "Too many requests.",
            Detail = $"Too many {routeClass} requests from this key or address; retry after {seconds} s.",
        };
        await context.RequestServices.GetRequiredService<IProblemDetailsService>()
            .WriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }).ConfigureAwait(false);
    }
}
