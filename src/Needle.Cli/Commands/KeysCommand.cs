using System.CommandLine;
using System.Globalization;
using Needle.Application.Access;
using Needle.Cli.Infrastructure;
using Needle.Core.Access;
using Needle.Storage.Sqlite;

namespace Needle.Cli.Commands;

/// <summary><c>needle keys create|list|revoke</c>: manage API keys directly on the database (audited with actor "cli").</summary>
internal static class KeysCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("keys", "Create, list and revoke API keys in a Needle database.");
        command.Subcommands.Add(CreateKey(context));
        command.Subcommands.Add(ListKeys(context));
        command.Subcommands.Add(RevokeKey(context));
        return command;
    }

    private static Command CreateKey(CliContext context)
    {
        var role = new Option<string>("--role") { Description = "submitter, reviewer, admin, auditor, integration (an HMA-style client: /h, /m and /c) or exchange (another Needle server following lists).", Required = true, HelpName = "ROLE" };
        role.AcceptOnlyFromAmong("submitter", "reviewer", "admin", "auditor", "integration", "exchange");
        var name = new Option<string?>("--name") { Description = "A name to recognise the key by (default: the role and the date).", HelpName = "NAME" };
        var expires = new Option<string?>("--expires") { Description = "Expiry date or time (ISO 8601, UTC unless an offset is given).", HelpName = "DATE" };
        var db = ServeCommand.DatabaseOption();
        var command = new Command("create", "Create a key and print it (shown this once).") { role, name, expires, db };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var apiRole = Enum.Parse<ApiRole>(parse.GetValue(role)!, ignoreCase: true);
            DateTimeOffset? expiresAt = null;
            if (parse.GetValue(expires) is { } text)
            {
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
                {
                    context.Error.WriteLine($"error: --expires '{text}' is not a date (use e.g. 2026-12-31 or 2026-12-31T18:00:00Z)");
                    return ExitCodes.Usage;
                }

                expiresAt = parsed;
            }

            var keyName = parse.GetValue(name) ?? $"{parse.GetValue(role)}-{context.Time.GetUtcNow():yyyy-MM-dd}";
            await using var store = await OpenAsync(parse.GetValue(db)!, context, cancellationToken).ConfigureAwait(false);
            var keys = new ApiKeyService(store.Keys, context.Time);
            try
            {
                var created = await keys.CreateAsync(keyName, apiRole, expiresAt, "cli", remoteAddress: null, cancellationToken).ConfigureAwait(false);
                context.Out.WriteLine(created.Key);
                context.Error.WriteLine($"created {parse.GetValue(role)} key '{created.Record.Name}' (id {created.Record.Id}); the key above is shown this once");
                return ExitCodes.Success;
            }
            catch (ArgumentException ex)
            {
                context.Error.WriteLine($"error: {ex.Message.Split(" (Parameter", 2)[0]}");
                return ExitCodes.Usage;
            }
        });
        return command;
    }

    private static Command ListKeys(CliContext context)
    {
        var db = ServeCommand.DatabaseOption();
        var command = new Command("list", "List the keys (never their secrets).") { db };
        command.SetAction(async (parse, cancellationToken) =>
        {
            await using var store = await OpenAsync(parse.GetValue(db)!, context, cancellationToken).ConfigureAwait(false);
            var now = context.Time.GetUtcNow();
            context.Out.WriteLine("id                                    role       state    created               expires               name");
            foreach (var key in await store.Keys.ListAsync(cancellationToken).ConfigureAwait(false))
            {
                var state = key.RevokedAt is not null ? "revoked" : key.ExpiresAt is { } e && e <= now ? "expired" : "active";
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{key.Id}  {key.Role.ToString().ToLowerInvariant(),-9}  {state,-7}  {key.CreatedAt:yyyy-MM-ddTHH:mm:ssZ}  {(key.ExpiresAt is { } x ? x.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture) : "-"),-20}  {key.Name}"));
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command RevokeKey(CliContext context)
    {
        var id = new Argument<string>("ID") { Description = "The key's id (from 'needle keys list')." };
        var db = ServeCommand.DatabaseOption();
        var command = new Command("revoke", "Revoke a key. A running server stops accepting it within its key-cache window (5 s by default).") { id, db };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!Guid.TryParse(parse.GetValue(id), out var keyId))
            {
                context.Error.WriteLine($"error: '{parse.GetValue(id)}' is not a key id");
                return ExitCodes.Usage;
            }

            await using var store = await OpenAsync(parse.GetValue(db)!, context, cancellationToken).ConfigureAwait(false);
            var keys = new ApiKeyService(store.Keys, context.Time);
            if (!await keys.RevokeAsync(keyId, "cli", remoteAddress: null, cancellationToken).ConfigureAwait(false))
            {
                context.Error.WriteLine($"error: no active key {keyId}");
                return ExitCodes.SomeFilesFailed;
            }

            context.Error.WriteLine($"revoked key {keyId}");
            return ExitCodes.Success;
        });
        return command;
    }

    internal static async Task<SqliteNeedleStore> OpenAsync(string path, CliContext context, CancellationToken cancellationToken)
    {
        var store = new SqliteNeedleStore(InputPaths.Resolve(path, context.WorkingDirectory), new SqliteStoreOptions { TimeProvider = context.Time });
        try
        {
            await store.MigrateAsync(cancellationToken).ConfigureAwait(false);
            return store;
        }
        catch
        {
            await store.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
