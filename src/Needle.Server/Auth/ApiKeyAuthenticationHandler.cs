using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Needle.Application.Access;

namespace Needle.Server.Auth;

/// <summary>Authenticates <c>Authorization: Bearer KEY</c> with <see cref="ApiKeyService"/>.</summary>
internal sealed partial class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService keys,
    ApiKeyCache cache)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    public const string KeyIdClaim = "needle:key_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("Only Bearer API keys are accepted.");
        }

        var presented = header["Bearer ".Length..].Trim();
        if (!cache.TryGet(presented, out var record))
        {
            var found = await keys.AuthenticateAsync(presented, Context.RequestAborted).ConfigureAwait(false);
            if (found is null)
            {
                // The key id of a well-formed key is logged (never the secret), to trace misuse of revoked keys.
                if (ApiKeyService.TryGetKeyId(presented, out var id))
                {
                    LogRefused(Logger, id);
                }

                return AuthenticateResult.Fail("Invalid, revoked or expired API key.");
            }

            record = found;
            cache.Add(presented, record);
        }

        var role = Policies.RoleName(record.Role);
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, record.Id.ToString()),
            new Claim(KeyIdClaim, record.Id.ToString()),
            new Claim(ClaimTypes.Name, record.Name),
            new Claim(ClaimTypes.Role, role),
        ], SchemeName, ClaimTypes.Name, ClaimTypes.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers[HeaderNames.WWWAuthenticate] = "Bearer";
        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused API key {KeyId}: unknown, wrong secret, revoked or expired")]
    private static partial void LogRefused(ILogger logger, Guid keyId);
}

/// <summary>Reads the caller's key from the authenticated principal.</summary>
internal static class CallerExtensions
{
    public static Guid KeyId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiKeyAuthenticationHandler.KeyIdClaim) ?? throw new InvalidOperationException("No authenticated key."));

    /// <summary>The audit actor: the key id in the form the audit log uses.</summary>
    public static string Actor(this ClaimsPrincipal user) => user.KeyId().ToString("N");
}
