using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing.Patterns;
using Needle.Core.Access;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// Walks every endpoint the server registers and checks who may call it. /livez, /readyz and HMA's /status and
/// /status/live are the only anonymous API routes; /openapi/v1.json needs a key of any role; every other route needs its role (a few name two, as "reviewer|admin"). An endpoint missing
/// from <see cref="Expected"/> fails the test, so a new route cannot ship without a deliberate policy.
/// </summary>
public sealed partial class AuthorizationTests
{
    private const string Anonymous = "anonymous";
    private const string AnyKey = "any";

    // The review pages: a session cookie (never an API key) of this role opens them; "page:form" is the sign-in form,
    // open to anyone but refusing a body that is not the form.
    private const string PageReviewer = "page:reviewer";
    private const string PageAdmin = "page:admin";
    private const string PageAuditor = "page:auditor";
    private const string PageAnySession = "page:any";
    private const string PageForm = "page:form";

    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["GET /livez"] = Anonymous,
        ["GET /readyz"] = Anonymous,
        ["GET /openapi/{documentName}.json"] = AnyKey,
        ["GET /metrics"] = "admin|auditor",

        ["POST /api/v1/reports"] = "submitter",
        ["GET /api/v1/reports"] = "reviewer",
        ["GET /api/v1/reports/{id:guid}"] = "reviewer",
        ["GET /api/v1/files/{id:guid}/media"] = "reviewer",
        ["GET /api/v1/files/{id:guid}/similar"] = "reviewer",

        ["GET /api/v1/lists"] = "admin",
        ["POST /api/v1/lists"] = "admin",
        ["GET /api/v1/lists/{name}"] = "admin",
        ["DELETE /api/v1/lists/{name}"] = "admin",
        ["GET /api/v1/lists/{name}/entries"] = "admin",
        ["POST /api/v1/lists/{name}/entries"] = "admin",
        ["PATCH /api/v1/lists/{name}/entries/{id:int}"] = "admin",
        ["DELETE /api/v1/lists/{name}/entries/{id:int}"] = "admin",
        ["POST /api/v1/lists/{name}/import"] = "admin",
        ["GET /api/v1/lists/{name}/imports/{id:guid}"] = "admin",
        ["GET /api/v1/lists/{name}/export"] = "admin",
        ["GET /api/v1/lists/{name}/quarantine"] = "admin",
        ["POST /api/v1/lists/{name}/entries/{id:int}/release"] = "admin",
        ["GET /api/v1/lists/{name}/changes"] = "exchange|admin",
        ["GET /api/v1/exchanges"] = "admin",
        ["POST /api/v1/exchanges"] = "admin",
        ["GET /api/v1/exchanges/{name}"] = "admin",
        ["PATCH /api/v1/exchanges/{name}"] = "admin",
        ["DELETE /api/v1/exchanges/{name}"] = "admin",
        ["GET /api/v1/exchanges/{name}/status"] = "admin",
        ["GET /api/v1/exchanges/{name}/feedback"] = "admin",
        ["POST /api/v1/exchanges/{name}/fetch"] = "admin",
        ["GET /c/exchanges/apis"] = "admin|integration",
        ["GET /c/exchanges/api/{api}"] = "admin|integration",
        ["POST /c/exchanges/api/{api}"] = "admin|integration",
        ["GET /c/exchanges/api/{api}/schema"] = "admin|integration",
        ["GET /c/exchanges"] = "admin|integration",
        ["POST /c/exchanges"] = "admin|integration",
        ["GET /c/exchange/{name}"] = "admin|integration",
        ["PUT /c/exchange/{name}"] = "admin|integration",
        ["DELETE /c/exchange/{name}"] = "admin|integration",
        ["GET /c/exchange/{name}/status"] = "admin|integration",

        ["GET /api/v1/queue"] = "reviewer",
        ["POST /api/v1/reports/{id:guid}/claim"] = "reviewer",
        ["DELETE /api/v1/reports/{id:guid}/claim"] = "reviewer|admin",
        ["GET /api/v1/reports/{id:guid}/related"] = "reviewer",
        ["POST /api/v1/files/{id:guid}/decision"] = "reviewer",
        ["GET /api/v1/files/{id:guid}/decisions"] = "reviewer",
        ["POST /api/v1/files/{id:guid}/false-positive"] = "reviewer",
        ["GET /api/v1/files/{id:guid}/feedback"] = "reviewer",
        ["GET /api/v1/lists/{name}/feedback"] = "admin",
        ["GET /api/v1/triage/stats"] = "reviewer",

        ["GET /api/v1/reports/{id:guid}/case"] = "reviewer|admin",
        ["POST /api/v1/reports/{id:guid}/notes"] = "reviewer",
        ["PUT /api/v1/reports/{id:guid}/assignment"] = "admin",
        ["DELETE /api/v1/reports/{id:guid}/assignment"] = "admin",
        ["POST /api/v1/reports/{id:guid}/outcome"] = "reviewer",
        ["GET /api/v1/reports/{id:guid}/export"] = "reviewer",
        ["POST /api/v1/reports/{id:guid}/export"] = "reviewer",
        ["POST /api/v1/reports/import"] = "admin",

        ["POST /api/v1/lookup"] = "submitter",

        ["POST /api/v1/keys"] = "admin",
        ["GET /api/v1/keys"] = "admin",
        ["DELETE /api/v1/keys/{id:guid}"] = "admin",

        ["GET /api/v1/audit"] = "auditor",
        ["GET /api/v1/audit/verify"] = "auditor",

        ["GET /status"] = Anonymous,
        ["GET /status/live"] = Anonymous,
        ["GET /h/hash"] = "submitter|integration",
        ["POST /h/hash"] = "submitter|integration",
        ["GET /m/lookup"] = "submitter|integration",
        ["POST /m/lookup"] = "submitter|integration",
        ["GET /m/raw_lookup"] = "submitter|integration",
        ["POST /m/compare"] = "submitter|integration",
        ["GET /m/index/status"] = "submitter|integration",
        ["GET /c/banks"] = "admin|integration",
        ["POST /c/banks"] = "admin|integration",
        ["GET /c/bank/{name}"] = "admin|integration",
        ["PUT /c/bank/{name}"] = "admin|integration",
        ["DELETE /c/bank/{name}"] = "admin|integration",
        ["POST /c/bank/{name}/content"] = "admin|integration",
        ["GET /c/bank/{name}/content/{id:int}"] = "admin|integration",
        ["PUT /c/bank/{name}/content/{id:int}"] = "admin|integration",
        ["DELETE /c/bank/{name}/content/{id:int}"] = "admin|integration",
        ["POST /c/bank/{name}/signal"] = "admin|integration",

        ["GET /static/needle.css"] = Anonymous,
        ["GET /static/needle.js"] = Anonymous,
        ["GET /static/world.svg"] = Anonymous,
        ["GET /signin"] = Anonymous,
        ["POST /signin"] = PageForm,
        ["POST /signout"] = PageAnySession,
        ["GET /"] = PageAnySession,
        ["GET /queue"] = PageReviewer,
        ["POST /queue/{id:guid}/claim"] = PageReviewer,
        ["POST /queue/{id:guid}/release"] = PageReviewer,
        ["GET /reports/{id:guid}"] = PageReviewer,
        ["POST /reports/{id:guid}/files/{fileId:guid}/decision"] = PageReviewer,
        ["POST /reports/{id:guid}/files/{fileId:guid}/false-positive"] = PageReviewer,
        ["GET /web/files/{id:guid}/thumbnail"] = PageReviewer,
        ["GET /web/files/{id:guid}/reveal"] = PageReviewer,
        ["GET /web/files/{id:guid}/keyframes/{index:int}/thumbnail"] = PageReviewer,
        ["GET /web/files/{id:guid}/keyframes/{index:int}/reveal"] = PageReviewer,
        ["POST /reports/{id:guid}/decisions"] = PageReviewer,
        ["POST /reports/{id:guid}/undo"] = PageReviewer,
        ["POST /queue/next"] = PageReviewer,
        ["GET /lists"] = PageAdmin,
        ["POST /lists"] = PageAdmin,
        ["GET /lists/{name}"] = PageAdmin,
        ["POST /lists/{name}/import"] = PageAdmin,
        ["GET /lists/{name}/export"] = PageAdmin,
        ["POST /lists/{name}/entries/{id:int}/enabled"] = PageAdmin,
        ["POST /lists/{name}/entries/{id:int}/release"] = PageAdmin,
        ["GET /audit"] = PageAuditor,
        ["GET /preferences"] = PageAnySession,
        ["POST /preferences"] = PageAnySession,
        ["POST /preferences/org"] = PageAdmin,
        ["POST /reports/{id:guid}/notes"] = PageReviewer,
        ["POST /reports/{id:guid}/outcome"] = PageReviewer,
        ["POST /reports/{id:guid}/export"] = PageReviewer,
        ["GET /assignments"] = PageAdmin,
        ["POST /assignments"] = PageAdmin,
        ["POST /preferences/shortcuts"] = PageAnySession,
        ["POST /exchanges"] = PageAdmin,
        ["POST /exchanges/{name}"] = PageAdmin,
        ["POST /exchanges/{name}/enabled"] = PageAdmin,
        ["POST /exchanges/{name}/fetch"] = PageAdmin,
        ["POST /exchanges/{name}/delete"] = PageAdmin,
    };

    [Fact]
    public async Task Every_endpoint_admits_only_its_role()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        var keys = new Dictionary<string, string> { ["admin"] = server.AdminKey };
        foreach (var role in new[] { ApiRole.Submitter, ApiRole.Reviewer, ApiRole.Auditor, ApiRole.Integration, ApiRole.Exchange })
        {
            keys[role.ToString().ToLowerInvariant()] = (await server.CreateKeyAsync(role)).Key;
        }

        var (revokedId, revokedKey) = await server.CreateKeyAsync(ApiRole.Admin, "to-revoke");
        var revoke = await server.Client(server.AdminKey).DeleteAsync($"/api/v1/keys/{revokedId}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);

        var endpoints = Endpoints(server.App);
        var unknown = endpoints.Where(e => !Expected.ContainsKey(e.Key)).Select(e => e.Key).ToList();
        Assert.True(unknown.Count == 0, "Endpoints without an expected role in this test (give each a policy, then list it here): " + string.Join(", ", unknown));
        var missing = Expected.Keys.Except(endpoints.Select(e => e.Key)).ToList();
        Assert.True(missing.Count == 0, "Expected endpoints not registered: " + string.Join(", ", missing));

        var failures = new List<string>();
        var anonymousClient = server.Client();
        var revokedClient = server.Client(revokedKey);
        var roleClients = keys.ToDictionary(k => k.Key, k => server.Client(k.Value));
        foreach (var (key, method, url, policies) in endpoints)
        {
            var expected = Expected[key];
            if (expected.StartsWith("page:", StringComparison.Ordinal))
            {
                CheckPage(failures, key, expected, policies);
                foreach (var (who, client) in roleClients.Append(new("no key", anonymousClient)).Append(new("a revoked key", revokedClient)))
                {
                    // No API key opens a page: a page sends the browser to the sign-in form, anything else is refused.
                    var (pageStatus, landedOn) = await SendPageAsync(client, method, url);
                    var refused = pageStatus is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden || landedOn == "/signin";
                    Check(failures, key, $"as {who}", pageStatus, ok: expected == PageForm ? pageStatus is not (HttpStatusCode.OK or HttpStatusCode.Found) : refused);
                }

                continue;
            }

            var status = await SendAsync(anonymousClient, method, url);
            if (expected == Anonymous)
            {
                Check(failures, key, "without a key", status, ok: status == HttpStatusCode.OK);
                continue;
            }

            Check(failures, key, "without a key", status, ok: status == HttpStatusCode.Unauthorized);
            status = await SendAsync(revokedClient, method, url);
            Check(failures, key, "with a revoked key", status, ok: status == HttpStatusCode.Unauthorized);
            foreach (var (role, client) in roleClients)
            {
                status = await SendAsync(client, method, url);
                var allowed = expected == AnyKey || expected.Split('|').Contains(role);
                Check(failures, key, $"as {role}", status,
                    ok: allowed ? status is not (HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden) : status == HttpStatusCode.Forbidden);
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public async Task A_malformed_or_unknown_bearer_key_is_refused_with_a_challenge()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Workers = 0 });
        foreach (var header in new[] { "Bearer nonsense", "Basic YWRtaW46YWRtaW4=", "Bearer " + server.AdminKey[..^2] + "AA" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/lists");
            request.Headers.TryAddWithoutValidation("Authorization", header);
            var response = await server.Client().SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        }
    }

    private static void Check(List<string> failures, string endpoint, string who, HttpStatusCode status, bool ok)
    {
        if (!ok)
        {
            failures.Add($"{endpoint} {who}: {(int)status} {status}");
        }
    }

    /// <summary>A page's policy is the session policy of its role (the cookie scheme, never an API key).</summary>
    private static void CheckPage(List<string> failures, string endpoint, string expected, IReadOnlyList<string> policies)
    {
        var wanted = expected switch
        {
            PageForm => null,
            PageAnySession => "web:any",
            _ => "web:" + expected["page:".Length..],
        };
        if (wanted is null ? policies.Count != 0 : !policies.SequenceEqual([wanted]))
        {
            failures.Add($"{endpoint}: policies [{string.Join(", ", policies)}], expected {wanted ?? "none (anonymous form)"}");
        }
    }

    private static async Task<(HttpStatusCode Status, string? LandedOn)> SendPageAsync(HttpClient client, string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return (response.StatusCode, response.RequestMessage?.RequestUri?.AbsolutePath);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, string method, string url)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), url);
        if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Every route endpoint with each of its methods, its route filled with dummy values.</summary>
    private static List<(string Key, string Method, string Url, IReadOnlyList<string> Policies)> Endpoints(WebApplication app)
    {
        var source = app.Services.GetRequiredService<EndpointDataSource>();
        var result = new List<(string, string, string, IReadOnlyList<string>)>();
        var all = source.Endpoints.OfType<RouteEndpoint>().ToList();
        foreach (var twin in all.Where(static e => e.DisplayName?.StartsWith("malformed route values: ", StringComparison.Ordinal) == true))
        {
            // The twin answering malformed ids (400) has the methods and the authorization of its constrained route.
            var twinMethods = twin.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods;
            var original = all.Single(e => e.DisplayName?.StartsWith("malformed route values: ", StringComparison.Ordinal) != true
                && e.RoutePattern.Parameters.Count == twin.RoutePattern.Parameters.Count
                && System.Text.RegularExpressions.Regex.Replace(e.RoutePattern.RawText!, ":[a-z]+}", "}") == twin.RoutePattern.RawText!.TrimStart('/').Insert(0, e.RoutePattern.RawText!.StartsWith('/') ? "/" : "")
                && e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods.SequenceEqual(twinMethods) == true);
            Assert.Equal(
                original.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy),
                twin.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>().Select(a => a.Policy));
        }

        foreach (var endpoint in all.Where(static e => e.DisplayName?.StartsWith("malformed route values: ", StringComparison.Ordinal) != true))
        {
            var pattern = endpoint.RoutePattern.RawText ?? throw new InvalidOperationException(endpoint.DisplayName);
            // A group's "" route reads "/api/v1/lists/"; routing matches it with or without the slash.
            pattern = "/" + pattern.Trim('/');

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            Assert.True(methods is { Count: > 0 }, $"{pattern} accepts every HTTP method; give it explicit methods");
            foreach (var method in methods!)
            {
                var policies = endpoint.Metadata.GetOrderedMetadata<Microsoft.AspNetCore.Authorization.IAuthorizeData>()
                    .Select(a => a.Policy).OfType<string>().ToList();
                result.Add(($"{method} {pattern}", method, Fill(endpoint.RoutePattern, pattern), policies));
            }
        }

        return result;
    }

    private static string Fill(RoutePattern route, string pattern) => Parameter().Replace(pattern, match =>
    {
        var name = match.Groups["name"].Value;
        var constraint = match.Groups["constraint"].Value;
        return (name, constraint) switch
        {
            (_, "guid") => Guid.NewGuid().ToString(),
            (_, "int") => "999999",
            ("documentName", _) => "v1",
            _ => "no-such-list",
        };
    });

    [GeneratedRegex(@"\{(?<name>[A-Za-z_]+)(?::(?<constraint>[a-z]+))?\}")]
    private static partial Regex Parameter();
}
