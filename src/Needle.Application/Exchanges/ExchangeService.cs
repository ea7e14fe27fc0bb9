using System.Text;
using System.Text.Json;
using Needle.Application.Lists;
using Needle.Application.Media;
using Needle.Core.Audit;
using Needle.Core.Exchanges;
using Needle.Core.Jobs;
using Needle.Core.Serialization;
using Needle.Core.Storage;

namespace Needle.Application.Exchanges;

/// <summary>
/// Configures exchanges: kind, list, settings, credentials and schedule. Credentials are encrypted at rest with the
/// media key (AES-GCM, bound to the exchange's id), never returned (only their names are), and never written to the
/// audit log (its entries name the credentials changed, not their values).
/// </summary>
public sealed class ExchangeService
{
    private static readonly TimeSpan MinimumInterval = TimeSpan.FromMinutes(1);

    private readonly INeedleStore _store;
    private readonly HashListService _lists;
    private readonly MediaProtector _protector;
    private readonly TimeProvider _time;

    /// <summary>A service over <paramref name="store"/>'s exchanges, feeding <paramref name="lists"/>' lists.</summary>
    public ExchangeService(INeedleStore store, HashListService lists, MediaProtector protector, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(lists);
        ArgumentNullException.ThrowIfNull(protector);
        ArgumentNullException.ThrowIfNull(time);
        _store = store;
        _lists = lists;
        _protector = protector;
        _time = time;
    }

    /// <summary>Every exchange, by name.</summary>
    public async Task<IReadOnlyList<ExchangeView>> ListAsync(CancellationToken ct = default) =>
        [.. (await _store.Exchanges.ListAsync(ct).ConfigureAwait(false)).Select(View)];

    /// <summary>The exchange named <paramref name="name"/>, or null.</summary>
    public async Task<ExchangeView?> GetAsync(string name, CancellationToken ct = default) =>
        await _store.Exchanges.GetAsync(name, ct).ConfigureAwait(false) is { } stored ? View(stored) : null;

    /// <summary>The exchange named <paramref name="name"/> and its fetch state, or null.</summary>
    public async Task<(ExchangeView Exchange, ExchangeStatus Status)?> GetStatusAsync(string name, CancellationToken ct = default)
    {
        if (await _store.Exchanges.GetAsync(name, ct).ConfigureAwait(false) is not { } stored
            || await _store.Exchanges.GetStatusAsync(stored.Id, ct).ConfigureAwait(false) is not { } status)
        {
            return null;
        }

        return (View(stored), status);
    }

    /// <summary>Every exchange with its fetch state and whether its checkpoint is stale, by name.</summary>
    public async Task<IReadOnlyList<ExchangeOverview>> OverviewAsync(CancellationToken ct = default)
    {
        var now = _time.GetUtcNow();
        var overviews = new List<ExchangeOverview>();
        foreach (var stored in await _store.Exchanges.ListAsync(ct).ConfigureAwait(false))
        {
            var status = await _store.Exchanges.GetStatusAsync(stored.Id, ct).ConfigureAwait(false) ?? new ExchangeStatus();
            overviews.Add(new ExchangeOverview(View(stored), status, StaleCheckpoint(stored.Kind, status.Checkpoint, now)));
        }

        return overviews;
    }

    /// <summary>The credentials a <paramref name="kind"/> exchange takes (required first), for a form to ask for.</summary>
    /// <exception cref="ArgumentException">The kind is unknown.</exception>
    public static IReadOnlyList<string> CredentialNames(string kind)
    {
        var spec = ExchangeKindSpec.For(kind);
        return [.. spec.RequiredCredentials, .. spec.OptionalCredentials];
    }

    /// <summary>The settings any exchange may have (baseUrl, list, privacyGroup, environment, pageSize).</summary>
    public static IReadOnlyList<string> SettingNames => ExchangeKindSpec.KnownSettings;

    /// <summary>Why <paramref name="checkpoint"/> of a <paramref name="kind"/> exchange is too old to resume from (StopNCII 30 days, ThreatExchange 85), or null.</summary>
    public static string? StaleCheckpoint(string kind, string? checkpoint, DateTimeOffset now)
    {
        try
        {
            return kind switch
            {
                ExchangeKinds.StopNcii => StopNciiExchangeClient.Stale(checkpoint, now),
                ExchangeKinds.ThreatExchange => ThreatExchangeClient.Stale(checkpoint, now),
                _ => null,
            };
        }
        catch (Exception e) when (e is JsonException or FormatException or ExchangeFetchException)
        {
            // A checkpoint that cannot be read fails the next fetch, which says why; it is not a stale one.
            return null;
        }
    }

    /// <summary>Creates an exchange ("exchange.create"), due for its first fetch at once.</summary>
    /// <exception cref="ArgumentException">The name, kind, a setting, a credential or the interval is not valid (the message names it, never a credential's value).</exception>
    /// <exception cref="ListNotFoundException">The list does not exist.</exception>
    /// <exception cref="ExchangeAlreadyExistsException">The name is taken.</exception>
    public async Task<ExchangeView> CreateAsync(string name, ExchangeDefinition definition, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        HashListService.ValidateListName(name);
        var kind = definition.Kind?.Trim().ToLowerInvariant();
        if (!ExchangeKinds.IsKnown(kind))
        {
            throw new ArgumentException($"The kind must be one of {string.Join(", ", ExchangeKinds.All)}; got '{definition.Kind}'.", nameof(definition));
        }

        var spec = ExchangeKindSpec.For(kind!);
        var list = definition.List ?? throw new ArgumentException("An exchange needs the list it feeds.", nameof(definition));
        if (_lists.FindList(list) is null)
        {
            throw new ListNotFoundException(list);
        }

        var settings = spec.CheckSettings(definition.Settings);
        // Credentials may come later (HMA sets them per API after creating its exchanges); given ones must be whole.
        var credentials = definition.Credentials ?? new Dictionary<string, string>();
        if (definition.Credentials is not null)
        {
            spec.CheckCredentials(credentials);
        }
        var interval = CheckInterval(definition.Interval ?? TimeSpan.FromHours(1));
        var id = Guid.NewGuid();
        var stored = new StoredExchange(
            id, name, kind!, list, JsonSerializer.Serialize(settings, DocumentJson.Options), Encrypt(credentials, id), interval, definition.Enabled ?? true, _time.GetUtcNow());
        if (!await _store.Exchanges.CreateAsync(stored, Audit(actor, remoteAddress, "exchange.create", stored, credentials.Keys), ct).ConfigureAwait(false))
        {
            throw new ExchangeAlreadyExistsException(name);
        }

        return View(stored);
    }

    /// <summary>Changes an exchange's settings, credentials, interval or enabled flag ("exchange.update"); kind and list stay.</summary>
    /// <exception cref="ExchangeNotFoundException">There is no such exchange.</exception>
    /// <exception cref="ArgumentException">Something given is not valid, or the kind or list would change.</exception>
    public async Task<ExchangeView> UpdateAsync(string name, ExchangeDefinition definition, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(definition);
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        var stored = await _store.Exchanges.GetAsync(name, ct).ConfigureAwait(false) ?? throw new ExchangeNotFoundException(name);
        if (definition.Kind is { } kind && !string.Equals(kind, stored.Kind, StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException("An exchange's kind cannot change: delete it and create another.", nameof(definition));
        }

        if (definition.List is { } list && !string.Equals(list, stored.ListName, StringComparison.Ordinal))
        {
            throw new ArgumentException("An exchange's list cannot change: delete it and create another.", nameof(definition));
        }

        var spec = ExchangeKindSpec.For(stored.Kind);
        var settings = definition.Settings is { } given ? spec.CheckSettings(given) : null;
        IReadOnlyCollection<string> changedCredentials = [];
        var credentials = stored.Credentials;
        if (definition.Credentials is { } newCredentials)
        {
            if (definition.KeepOtherCredentials)
            {
                // Only the credentials given change (a form's empty field keeps the stored secret).
                Dictionary<string, string> merged;
                try
                {
                    merged = Decrypt(_protector, stored);
                }
                catch (System.Security.Cryptography.CryptographicException)
                {
                    merged = [];
                }

                foreach (var (key, value) in newCredentials)
                {
                    merged[key] = value;
                }

                newCredentials = merged;
                changedCredentials = [.. definition.Credentials.Keys];
            }

            spec.CheckCredentials(newCredentials);
            credentials = Encrypt(newCredentials, stored.Id);
            if (!definition.KeepOtherCredentials)
            {
                changedCredentials = [.. newCredentials.Keys];
            }
        }

        var updated = stored with
        {
            Settings = settings is null ? stored.Settings : JsonSerializer.Serialize(settings, DocumentJson.Options),
            Credentials = credentials,
            Interval = definition.Interval is { } interval ? CheckInterval(interval) : stored.Interval,
            Enabled = definition.Enabled ?? stored.Enabled,
        };
        if (!await _store.Exchanges.UpdateAsync(updated, Audit(actor, remoteAddress, "exchange.update", updated, changedCredentials), ct).ConfigureAwait(false))
        {
            throw new ExchangeNotFoundException(name);
        }

        return View(updated);
    }

    /// <summary>Sets the credentials of every exchange of <paramref name="kind"/> ("exchange.update" each); returns how many.</summary>
    /// <exception cref="ArgumentException">The credentials are not whole for the kind.</exception>
    public async Task<int> SetCredentialsAsync(string kind, IReadOnlyDictionary<string, string> credentials, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ExchangeKindSpec.For(kind).CheckCredentials(credentials);
        var count = 0;
        foreach (var exchange in await _store.Exchanges.ListAsync(ct).ConfigureAwait(false))
        {
            if (string.Equals(exchange.Kind, kind, StringComparison.Ordinal))
            {
                await UpdateAsync(exchange.Name, new ExchangeDefinition { Credentials = credentials }, actor, remoteAddress, ct).ConfigureAwait(false);
                count++;
            }
        }

        return count;
    }

    /// <summary>Deletes an exchange ("exchange.delete"); its list and entries stay. False when there is none.</summary>
    public Task<bool> DeleteAsync(string name, string actor, string? remoteAddress = null, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(actor);
        return _store.Exchanges.DeleteAsync(name, new AuditEntryDraft(actor, "exchange.delete", "exchange/" + name, null, remoteAddress), ct);
    }

    /// <summary>Queues a fetch of the exchange now (unless one is queued already).</summary>
    /// <exception cref="ExchangeNotFoundException">There is no such exchange.</exception>
    public Task FetchNowAsync(string name, CancellationToken ct = default) => FetchNowAsync(name, full: false, actor: null, remoteAddress: null, ct);

    /// <summary>
    /// Queues a fetch of the exchange now; <paramref name="full"/> asks it to start from the beginning and, once it
    /// completes, remove the entries the provider no longer has. Audited ("exchange.fetch") when an actor is given.
    /// </summary>
    /// <exception cref="ExchangeNotFoundException">There is no such exchange.</exception>
    public async Task FetchNowAsync(string name, bool full, string? actor, string? remoteAddress, CancellationToken ct = default)
    {
        var stored = await _store.Exchanges.GetAsync(name, ct).ConfigureAwait(false) ?? throw new ExchangeNotFoundException(name);
        if (full && !await _store.Exchanges.RequestFullFetchAsync(stored.Id, ct).ConfigureAwait(false))
        {
            throw new ExchangeNotFoundException(name);
        }

        if (actor is not null)
        {
            await _store.Audit.AppendAsync(new AuditEntryDraft(actor, "exchange.fetch", "exchange/" + name, full ? "{\"full\":true}" : null, remoteAddress), ct).ConfigureAwait(false);
        }

        await _store.Jobs.EnqueueAsync(JobKinds.FetchExchange, stored.Id, ct).ConfigureAwait(false);
    }

    /// <summary>Queues a fetch of every enabled exchange that is due; returns how many were queued.</summary>
    public async Task<int> EnqueueDueAsync(CancellationToken ct = default)
    {
        var queued = 0;
        foreach (var id in await _store.Exchanges.DueAsync(_time.GetUtcNow(), ct).ConfigureAwait(false))
        {
            if (await _store.Jobs.EnqueueAsync(JobKinds.FetchExchange, id, ct).ConfigureAwait(false))
            {
                queued++;
            }
        }

        return queued;
    }

    /// <summary>
    /// The stored credentials for a fetch or a feedback: a node whose media key cannot decrypt them gets an
    /// <see cref="ExchangeFetchException"/> that says to set them again (the status shows it; the key is never named).
    /// </summary>
    internal static Dictionary<string, string> DecryptForUse(MediaProtector protector, StoredExchange exchange)
    {
        try
        {
            return Decrypt(protector, exchange);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new ExchangeFetchException("The exchange's credentials cannot be decrypted with this node's media key: set them again.");
        }
    }

    /// <summary>The stored credentials, decrypted (for the fetcher and the feedback sender only).</summary>
    internal static Dictionary<string, string> Decrypt(MediaProtector protector, StoredExchange exchange)
    {
        var plain = protector.Unprotect(exchange.Credentials.Span, exchange.Id);
        try
        {
            return JsonSerializer.Deserialize<Dictionary<string, string>>(plain) ?? [];
        }
        finally
        {
            Array.Clear(plain);
        }
    }

    private byte[] Encrypt(IReadOnlyDictionary<string, string> credentials, Guid id)
    {
        var plain = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(credentials));
        try
        {
            return _protector.Protect(plain, id);
        }
        finally
        {
            Array.Clear(plain);
        }
    }

    private static TimeSpan CheckInterval(TimeSpan interval) =>
        interval >= MinimumInterval ? interval : throw new ArgumentException($"An exchange's interval is at least {MinimumInterval.TotalMinutes:0} minute; got {interval}.", nameof(interval));

    private ExchangeView View(StoredExchange stored)
    {
        var settings = JsonSerializer.Deserialize<Dictionary<string, string>>(stored.Settings) ?? [];
        IReadOnlyList<string> names;
        try
        {
            names = [.. Decrypt(_protector, stored).Keys.Order(StringComparer.Ordinal)];
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            // Encrypted with another media key: the exchange shows no credentials, and its fetches say why.
            names = [];
        }

        return new ExchangeView(stored.Id, stored.Name, stored.Kind, stored.ListName, settings, names, stored.Interval, stored.Enabled, stored.CreatedAt);
    }

    private static AuditEntryDraft Audit(string actor, string? remoteAddress, string action, StoredExchange exchange, IEnumerable<string> credentialNames) =>
        new(
            actor,
            action,
            "exchange/" + exchange.Name,
            JsonSerializer.Serialize(new AuditDetails(exchange.Kind, exchange.ListName, exchange.Settings, [.. credentialNames.Order(StringComparer.Ordinal)], exchange.Interval.ToString("c", System.Globalization.CultureInfo.InvariantCulture), exchange.Enabled), DocumentJson.Options),
            remoteAddress);

    // Names the credentials set, never their values.
    private sealed record AuditDetails(string Kind, string List, string Settings, IReadOnlyList<string> CredentialsSet, string Interval, bool Enabled);
}
