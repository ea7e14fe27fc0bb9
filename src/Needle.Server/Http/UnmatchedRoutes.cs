using Needle.Server.Auth;

namespace Needle.Server.Http;

/// <summary>
/// A path no route serves answers 404, and a known path with a method it does not take answers 405 (with
/// <c>Allow</c>), to a caller with a valid API key. Without this the deny-by-default fallback policy answers both with
/// 403, which tells an HMA client "your key lacks a role" when the truth is "no such route". A caller without a valid
/// key still gets 401, so the route table is not revealed to strangers.
/// </summary>
internal static class UnmatchedRoutes
{
    // The endpoint ASP.NET Core's routing selects for a known path with the wrong method.
    private const string MethodNotAllowedEndpoint = "405 HTTP Method Not Supported";

    public static async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        var endpoint = context.GetEndpoint();
        var unmatched = endpoint is null;
        var wrongMethod = endpoint?.DisplayName == MethodNotAllowedEndpoint;
        if ((unmatched || wrongMethod) && context.User.Identity is { IsAuthenticated: true, AuthenticationType: ApiKeyAuthenticationHandler.SchemeName })
        {
            if (wrongMethod && endpoint!.RequestDelegate is { } answer)
            {
                // Routing's own 405 endpoint sets the status and the Allow header.
                await answer(context).ConfigureAwait(false);
                return;
            }

            await Problems.NotFound($"No route {Problems.Echo(context.Request.Method, 16)} {Problems.Echo(context.Request.Path.Value, 200)}.")
                .ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }
}
