namespace Needle.Server.UrlFetch;

/// <summary>A fetched body with its media type and the URL it finally came from (after redirects).</summary>
internal sealed record FetchedMedia(byte[] Bytes, string MediaType, Uri Url);
