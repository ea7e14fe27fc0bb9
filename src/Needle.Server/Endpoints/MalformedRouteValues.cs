using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Routing.Patterns;
using Needle.Server.Http;

namespace Needle.Server.Endpoints;

/// <summary>
/// A malformed id in a route (<c>/api/v1/reports/REPORT_ID</c>) is a 400 problem naming the parameter, not a miss.
/// Every route whose parameters are constrained (<c>{id:guid}</c>, <c>{id:int}</c>) gets a twin without the
/// constraints, with the same methods and authorization: the constrained route wins whenever its values are well
/// formed (route precedence), so the twin answers only malformed ones. Without it no route matches, and the
/// deny-by-default fallback policy answers 403 to any key (401 without one).
/// </summary>
internal static class MalformedRouteValues
{
    private static readonly Dictionary<string, string> Kinds = new(StringComparer.OrdinalIgnoreCase)
    {
        ["guid"] = "a GUID (like 3f2504e0-4f89-11d3-9a0c-0305e82c3301)",
        ["int"] = "a whole number",
        ["long"] = "a whole number",
    };

    /// <summary>How a twin's display name starts (the role tests check twins against their constrained routes).</summary>
    public const string DisplayNamePrefix = "malformed route values: ";

    /// <summary>Adds the twins of the routes mapped so far on <paramref name="app"/>.</summary>
    public static void Map(IEndpointRouteBuilder app)
    {
        var constrained = app.DataSources.ToList()
            .SelectMany(static source => source.Endpoints)
            .OfType<RouteEndpoint>()
            .Where(static e => e.RoutePattern.Parameters.Any(static p => p.ParameterPolicies.Any(static pp => pp.Content is { } c && Kinds.ContainsKey(c))))
            .ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var twins = app.MapGroup("");
        foreach (var endpoint in constrained)
        {
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [];
            var template = Unconstrained(endpoint.RoutePattern);
            if (methods.Count == 0 || !seen.Add(string.Join(',', methods) + " " + template))
            {
                continue;
            }

            var checks = endpoint.RoutePattern.Parameters
                .Select(static p => (p.Name, Kind: p.ParameterPolicies.Select(static pp => pp.Content).FirstOrDefault(static c => c is not null && Kinds.ContainsKey(c))))
                .Where(static p => p.Kind is not null)
                .ToList();
            var twin = twins.MapMethods(template, methods, (HttpContext http) =>
            {
                var errors = new List<string>();
                string? first = null;
                foreach (var (name, kind) in checks)
                {
                    var value = http.Request.RouteValues[name]?.ToString() ?? "";
                    if (!IsValid(kind!, value))
                    {
                        first ??= name;
                        errors.Add($"{name}: '{value}' is not {Kinds[kind!]}");
                    }
                }

                return first is not null
                    ? Problems.BadRequest($"The route parameter '{first}' is malformed.", errors)
                    : Problems.NotFound("No such resource.");
            }).ExcludeFromDescription().WithDisplayName(DisplayNamePrefix + string.Join(',', methods) + " " + template);
            foreach (var item in endpoint.Metadata.Where(static m => m is IAuthorizeData or IAllowAnonymous))
            {
                twin.WithMetadata(item);
            }
        }
    }

    private static bool IsValid(string kind, string value) => kind.ToLowerInvariant() switch
    {
        "guid" => Guid.TryParse(value, out _),
        "int" => int.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _),
        _ => long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out _),
    };

    private static string Unconstrained(RoutePattern pattern) =>
        "/" + string.Join('/', pattern.PathSegments.Select(static segment => string.Concat(segment.Parts.Select(static part => part switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternSeparatorPart separator => separator.Content,
            RoutePatternParameterPart parameter => "{" + (parameter.IsCatchAll ? "*" : "") + parameter.Name + (parameter.IsOptional ? "?" : "") + "}",
            _ => "",
        }))));
}
