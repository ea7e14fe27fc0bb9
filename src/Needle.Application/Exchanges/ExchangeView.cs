namespace Needle.Application.Exchanges;

/// <summary>An exchange as shown to admins: everything but its credentials, of which only the names are told.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Name">Its name.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="List">The list it keeps in step.</param>
/// <param name="Settings">Its settings (nothing secret).</param>
/// <param name="CredentialNames">The names of the credentials it holds (never their values).</param>
/// <param name="Interval">How often it is fetched.</param>
/// <param name="Enabled">Whether it is fetched on its schedule.</param>
/// <param name="CreatedAt">When it was created.</param>
public sealed record ExchangeView(
    Guid Id, string Name, string Kind, string List, IReadOnlyDictionary<string, string> Settings, IReadOnlyList<string> CredentialNames, TimeSpan Interval, bool Enabled, DateTimeOffset CreatedAt);
