namespace Needle.Application.Exchanges;

/// <summary>What a client is made with: the exchange's name, settings and decrypted credentials, the options and the clock.</summary>
internal sealed record ExchangeContext(
    string Name, IReadOnlyDictionary<string, string> Settings, IReadOnlyDictionary<string, string> Credentials, ExchangeOptions Options, TimeProvider Time, HttpMessageHandler? Handler);
