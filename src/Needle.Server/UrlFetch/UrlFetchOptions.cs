namespace Needle.Server.UrlFetch;

/// <summary>
/// Fetching media by URL for the HMA routes (<c>GET /h/hash?url=</c>, <c>GET /m/lookup?url=</c>,
/// <c>POST /c/bank/{name}/content?url=</c>). Off by default: a server that fetches URLs for its callers can be pointed
/// at internal services (SSRF), so an operator opts in and names the hosts. Even then only public addresses are
/// contacted: every address a name resolves to is checked when the connection is made (so a DNS answer that changes
/// between check and connect cannot slip through), and again for every redirect.
/// </summary>
public sealed record UrlFetchOptions
{
    /// <summary>Whether URLs are fetched at all. Default false: a URL is refused with a 400 saying so.</summary>
    public bool Enabled { get; init; }

    /// <summary>
    /// Hosts that may be fetched from: <c>example.org</c> admits example.org and its subdomains; <c>*</c> admits any
    /// host (still public addresses only). Empty (the default) admits none.
    /// </summary>
    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    /// <summary>Largest body fetched, in bytes; a larger one is refused with 413. Default 32 MiB.</summary>
    public long MaxBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Longest a fetch may take, redirects and body included. Default 20 seconds.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How many redirects are followed (each one checked like the first URL). Default 3.</summary>
    public int MaxRedirects { get; init; } = 3;

    /// <summary>
    /// For tests only: also admit loopback addresses (127.0.0.0/8, ::1), so a test can serve media from a local HTTP
    /// server. Private, link-local and other non-public addresses stay refused. Never set this in production.
    /// </summary>
    public bool AllowLoopbackForTesting { get; init; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxBytes);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxRedirects);
        ArgumentNullException.ThrowIfNull(AllowedHosts);
        foreach (var host in AllowedHosts)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(host, nameof(AllowedHosts));
        }
    }
}
