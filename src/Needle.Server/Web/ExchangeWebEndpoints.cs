using System.Globalization;
using Needle.Application.Exchanges;
using Needle.Application.Lists;
using Needle.Server.Http;

namespace Needle.Server.Web;

/// <summary>
/// The exchanges section of the admin's lists page: create, edit, enable or disable, fetch now (or fetch everything
/// again) and delete. Every form binds its fields as a form, so the anti-forgery token is checked on each; every
/// change is audited by <see cref="ExchangeService"/>. Credentials are write-only: a form never carries a stored
/// secret back, and an empty credential field keeps what is stored.
/// </summary>
internal static class ExchangeWebEndpoints
{
    public static void Map(WebApplication app)
    {
        var web = app.MapGroup("/exchanges").AddEndpointFilter(WebEndpoints.SecurityHeaders).RequireAuthorization(WebSession.Admin);
        web.MapPost("", CreateAsync);
        web.MapPost("/{name}", UpdateAsync);
        web.MapPost("/{name}/enabled", SetEnabledAsync);
        web.MapPost("/{name}/fetch", FetchAsync);
        web.MapPost("/{name}/delete", DeleteAsync);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, ExchangeService service, IFormCollection form, CancellationToken cancellationToken)
    {
        var name = Field(form, "name");
        var kind = Field(form, "kind");
        if (name is null || kind is null)
        {
            return Results.Redirect(WebEndpoints.WithNotice("/lists", "An exchange needs a name and a kind.", error: true) + "#exchanges");
        }

        return await RunAsync(name, async () =>
        {
            var definition = new ExchangeDefinition
            {
                Kind = kind,
                List = Field(form, "list"),
                Settings = Settings(form),
                Credentials = Credentials(form, kind),
                Interval = Interval(form),
                Enabled = form["enabled"] == "on",
            };
            await service.CreateAsync(name, definition, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return $"Exchange '{name}' created.";
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> UpdateAsync(string name, HttpContext context, ExchangeService service, IFormCollection form, CancellationToken cancellationToken) =>
        await RunAsync(name, async () =>
        {
            var current = await service.GetAsync(name, cancellationToken).ConfigureAwait(false) ?? throw new ExchangeNotFoundException(name);
            var definition = new ExchangeDefinition
            {
                Settings = Settings(form),
                Credentials = Credentials(form, current.Kind),
                KeepOtherCredentials = true,
                Interval = Interval(form),
                Enabled = form["enabled"] == "on",
            };
            await service.UpdateAsync(name, definition, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return $"Exchange '{name}' saved.";
        }).ConfigureAwait(false);

    private static async Task<IResult> SetEnabledAsync(string name, HttpContext context, ExchangeService service, IFormCollection form, CancellationToken cancellationToken) =>
        await RunAsync(name, async () =>
        {
            var on = form["enabled"] == "true";
            await service.UpdateAsync(name, new ExchangeDefinition { Enabled = on }, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return $"Exchange '{name}' {(on ? "enabled" : "disabled")}.";
        }).ConfigureAwait(false);

    private static async Task<IResult> FetchAsync(string name, HttpContext context, ExchangeService service, IFormCollection form, CancellationToken cancellationToken) =>
        await RunAsync(name, async () =>
        {
            var full = form["full"] == "true";
            await service.FetchNowAsync(name, full, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false);
            return full
                ? $"A full re-fetch of '{name}' is queued: once it completes, entries the provider no longer has are removed."
                : $"A fetch of '{name}' is queued.";
        }).ConfigureAwait(false);

    private static async Task<IResult> DeleteAsync(string name, HttpContext context, ExchangeService service, IFormCollection form, CancellationToken cancellationToken)
    {
        if (form["confirm"] != "yes")
        {
            return Results.Redirect(WebEndpoints.WithNotice("/lists", "Deleting an exchange needs its confirmation.", error: true) + "#exchanges");
        }

        return await RunAsync(name, async () =>
        {
            if (!await service.DeleteAsync(name, WebUser.From(context.User).Actor, WebEndpoints.Remote(context), cancellationToken).ConfigureAwait(false))
            {
                throw new ExchangeNotFoundException(name);
            }

            return $"Exchange '{name}' deleted; its list and entries stay.";
        }).ConfigureAwait(false);
    }

    // Back to the lists page with what happened, or with why not (messages name fields, never a credential's value).
    private static async Task<IResult> RunAsync(string name, Func<Task<string>> action)
    {
        string? problem;
        try
        {
            var done = await action().ConfigureAwait(false);
            return Results.Redirect(WebEndpoints.WithNotice("/lists", Problems.Echo(done, 300)) + "#exchanges");
        }
        catch (ExchangeNotFoundException)
        {
            problem = $"There is no exchange named '{name}'.";
        }
        catch (ExchangeAlreadyExistsException)
        {
            problem = $"An exchange named '{name}' exists already.";
        }
        catch (ListNotFoundException ex)
        {
            problem = ex.Message;
        }
        catch (ArgumentException ex)
        {
            problem = ex.Message.Split(" (Parameter", 2)[0];
        }

        return Results.Redirect(WebEndpoints.WithNotice("/lists", Problems.Echo(problem, 300), error: true) + "#exchanges");
    }

    private static string? Field(IFormCollection form, string name) => form[name].ToString() is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static Dictionary<string, string> Settings(IFormCollection form)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var setting in ExchangeService.SettingNames)
        {
            if (Field(form, "setting." + setting) is { } value)
            {
                settings[setting] = value;
            }
        }

        return settings;
    }

    // Only the kind's credentials, only those filled in: an empty field keeps the stored one (on an edit).
    private static Dictionary<string, string>? Credentials(IFormCollection form, string kind)
    {
        IReadOnlyList<string> names;
        try
        {
            names = ExchangeService.CredentialNames(kind.Trim().ToLowerInvariant());
        }
        catch (ArgumentException)
        {
            return null;
        }

        Dictionary<string, string>? credentials = null;
        foreach (var credential in names)
        {
            // Not trimmed: a secret is taken as typed.
            if (form["credential." + credential].ToString() is { Length: > 0 } value)
            {
                (credentials ??= new Dictionary<string, string>(StringComparer.Ordinal))[credential] = value;
            }
        }

        return credentials;
    }

    private static TimeSpan? Interval(IFormCollection form) =>
        Field(form, "intervalMinutes") is not { } text ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var minutes) && double.IsFinite(minutes) && minutes is > 0 and < 1e6 ? TimeSpan.FromMinutes(minutes)
        : TimeSpan.Zero;
}
