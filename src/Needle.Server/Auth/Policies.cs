using Microsoft.AspNetCore.Authorization;
using Needle.Core.Access;

namespace Needle.Server.Auth;

/// <summary>
/// The authorization policies. A key has exactly one role and every endpoint exactly one policy (the HMA routes admit
/// two roles each, so an HMA-style integration needs a single key). Admin is deliberately
/// not a reviewer: the people who manage lists and keys need not see reported media, and a stolen admin key must not
/// open it (separation of duties). Likewise a reviewer cannot submit and a submitter cannot read reports.
/// </summary>
internal static class Policies
{
    public const string Admin = "role:admin";
    public const string Reviewer = "role:reviewer";
    public const string Submitter = "role:submitter";
    public const string Auditor = "role:auditor";
    public const string Exchange = "role:exchange";

    /// <summary>An exchange key (another Needle server following a list), or an admin.</summary>
    public const string ExchangeOrAdmin = "role:exchange-or-admin";

    /// <summary>A reviewer, or an admin (ending another analyst's claim on a report).</summary>
    public const string ReviewerOrAdmin = "role:reviewer-or-admin";

    /// <summary>HMA hashing and matching (<c>/h</c>, <c>/m</c>): a submitter, or an HMA-style integration.</summary>
    public const string HmaMatching = "role:hma-matching";

    /// <summary>HMA curation (<c>/c</c>: banks and their content): an admin, or an HMA-style integration.</summary>
    public const string HmaCuration = "role:hma-curation";
    /// <summary>A key of one of the roles allowed to scrape metrics (<see cref="NeedleServerOptions.MetricsRoles"/>).</summary>
    public const string Metrics = "metrics";

    /// <summary>Any valid key, whatever its role (the OpenAPI document).</summary>
    public const string AnyKey = "any-key";

    public static string RoleName(ApiRole role) => role switch
    {
        ApiRole.Admin => "admin",
        ApiRole.Reviewer => "reviewer",
        ApiRole.Submitter => "submitter",
        ApiRole.Auditor => "auditor",
        ApiRole.Integration => "integration",
        ApiRole.Exchange => "exchange",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, null),
    };

    public static void Configure(AuthorizationOptions options) => Configure(options, [ApiRole.Admin, ApiRole.Auditor]);

    public static void Configure(AuthorizationOptions options, IReadOnlyList<ApiRole> metricsRoles)
    {
        ArgumentNullException.ThrowIfNull(metricsRoles);
        options.AddPolicy(Metrics, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole([.. metricsRoles.Select(RoleName)]));

        foreach (var role in Enum.GetValues<ApiRole>())
        {
            options.AddPolicy("role:" + RoleName(role), policy => policy
                .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .RequireRole(RoleName(role)));
        }

        options.AddPolicy(ReviewerOrAdmin, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(RoleName(ApiRole.Reviewer), RoleName(ApiRole.Admin)));

        options.AddPolicy(HmaMatching, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(RoleName(ApiRole.Submitter), RoleName(ApiRole.Integration)));

        options.AddPolicy(HmaCuration, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(RoleName(ApiRole.Admin), RoleName(ApiRole.Integration)));
        options.AddPolicy(ExchangeOrAdmin, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireRole(RoleName(ApiRole.Exchange), RoleName(ApiRole.Admin)));

        options.AddPolicy(AnyKey, policy => policy
            .AddAuthenticationSchemes(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser());

        // Deny by default: an endpoint someone forgot to give a policy is refused to everyone (401 without a key, 403
        // with one), rather than open to any key.
        options.FallbackPolicy = new AuthorizationPolicyBuilder(ApiKeyAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(static _ => false)
            .Build();
    }
}
