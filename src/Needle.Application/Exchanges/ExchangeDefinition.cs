namespace Needle.Application.Exchanges;

/// <summary>What an admin gives to create or change an exchange. On an update, a null member keeps what is stored.</summary>
public sealed record ExchangeDefinition
{
    /// <summary>One of <see cref="Needle.Core.Exchanges.ExchangeKinds"/> (create only).</summary>
    public string? Kind { get; init; }

    /// <summary>The list it keeps in step (create only; it must exist).</summary>
    public string? List { get; init; }

    /// <summary>The kind's settings that are not secret (baseUrl, list, privacyGroup, environment, pageSize).</summary>
    public IReadOnlyDictionary<string, string>? Settings { get; init; }

    /// <summary>The kind's credentials; stored encrypted, never returned.</summary>
    public IReadOnlyDictionary<string, string>? Credentials { get; init; }

    /// <summary>On an update: the given <see cref="Credentials"/> replace only those named, the others stay (false: they replace all).</summary>
    public bool KeepOtherCredentials { get; init; }

    /// <summary>How often it is fetched (at least a minute).</summary>
    public TimeSpan? Interval { get; init; }

    /// <summary>Whether it is fetched on its schedule.</summary>
    public bool? Enabled { get; init; }
}
