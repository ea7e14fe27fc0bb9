namespace Needle.Core.Exchanges;

/// <summary>An exchange as stored: which provider feeds which list, how often, with which (encrypted) credentials.</summary>
/// <param name="Id">The exchange's id (the subject of its fetch jobs; binds its encrypted credentials).</param>
/// <param name="Name">Unique name, as in the API's paths.</param>
/// <param name="Kind">One of <see cref="ExchangeKinds"/>.</param>
/// <param name="ListName">The list the exchange keeps in step with its provider.</param>
/// <param name="Settings">The kind's settings that are not secret (base URL, privacy group, environment), as a JSON object.</param>
/// <param name="Credentials">The credentials, encrypted by the application; never decrypted by the store, never returned by the API.</param>
/// <param name="Interval">How often it is fetched.</param>
/// <param name="Enabled">Whether it is fetched on its schedule.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record StoredExchange(
    Guid Id, string Name, string Kind, string ListName, string Settings, ReadOnlyMemory<byte> Credentials, TimeSpan Interval, bool Enabled, DateTimeOffset CreatedAt);
