namespace Needle.Server.UrlFetch;

/// <summary>A URL that was not fetched, with the HTTP status the caller gets and why (safe to show the caller).</summary>
internal sealed class UrlFetchException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
