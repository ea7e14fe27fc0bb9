using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Needle.Server.UrlFetch;

/// <summary>
/// Fetches one media file by URL under <see cref="UrlFetchOptions"/>: allowed hosts only, public addresses only (checked
/// in the connect callback on the addresses actually dialled, so DNS rebinding cannot bypass it), redirects followed by
/// hand and each one checked again, bounded in count, time, size and media type.
/// </summary>
internal sealed class MediaUrlFetcher : IDisposable
{
    private const int MaxMessageUrl = 200;

    private readonly UrlFetchOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient _client;

    public MediaUrlFetcher(UrlFetchOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _time = time;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = options.Timeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Needle-HMA-compat/1.0");
    }

    public bool Enabled => _options.Enabled;

    public async Task<FetchedMedia> FetchAsync(string url, CancellationToken cancellationToken)
    {
        if (!_options.Enabled)
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest,
                "Fetching media by URL is turned off on this server. POST the media as multipart/form-data, or ask the operator to enable URL fetching (needle serve --fetch-url-host HOST).");
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest, "url: not an absolute URL");
        }

        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            for (var hop = 0; ; hop++)
            {
                CheckUrl(uri, hop);
                using var request = new HttpRequestMessage(HttpMethod.Get, uri);
                using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
                var status = (int)response.StatusCode;
                if (status is 301 or 302 or 303 or 307 or 308)
                {
                    if (hop >= _options.MaxRedirects)
                    {
                        throw new UrlFetchException(StatusCodes.Status400BadRequest, $"Failed to fetch URL: more than {_options.MaxRedirects} redirects");
                    }

                    var location = response.Headers.Location
                        ?? throw new UrlFetchException(StatusCodes.Status400BadRequest, "Failed to fetch URL: a redirect without a Location");
                    uri = location.IsAbsoluteUri ? location : new Uri(uri, location);
                    continue;
                }

                if (status is < 200 or > 299)
                {
                    throw new UrlFetchException(StatusCodes.Status400BadRequest, $"Failed to fetch URL: the server answered HTTP {status.ToString(CultureInfo.InvariantCulture)}");
                }

                var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
                if (!mediaType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) && !mediaType.StartsWith("video/", StringComparison.OrdinalIgnoreCase))
                {
                    throw new UrlFetchException(StatusCodes.Status400BadRequest,
                        $"unsupported url ContentType: '{Http.Problems.Echo(mediaType, 100)}' (an image/* or video/* body is expected)");
                }

                if (response.Content.Headers.ContentLength is { } declared && declared > _options.MaxBytes)
                {
                    throw TooLarge();
                }

                var bytes = await ReadCappedAsync(response.Content, linked.Token).ConfigureAwait(false);
                return new FetchedMedia(bytes, mediaType, uri);
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest, $"Failed to fetch URL: no complete answer within {_options.Timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s");
        }
        catch (HttpRequestException ex)
        {
            // A refusal from the connect callback arrives wrapped; anything else is the remote's problem.
            for (Exception? inner = ex; inner is not null; inner = inner.InnerException)
            {
                if (inner is UrlFetchException refused)
                {
                    throw new UrlFetchException(refused.Status, refused.Message);
                }
            }

            throw new UrlFetchException(StatusCodes.Status400BadRequest, "Failed to fetch URL: " + Http.Problems.Echo(ex.Message, 200));
        }
    }

    public void Dispose() => _client.Dispose();

    private void CheckUrl(Uri uri, int hop)
    {
        var what = hop == 0 ? "url" : "a redirect";
        if (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest, $"Invalid or unsafe URL provided: {what} is not http or https");
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest, $"Invalid or unsafe URL provided: {what} carries credentials");
        }

        var host = uri.IdnHost.TrimEnd('.');
        if (!HostAllowed(host))
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest,
                $"Invalid or unsafe URL provided: {what} names host '{Http.Problems.Echo(host, MaxMessageUrl)}', which is not on this server's list of hosts to fetch from");
        }
    }

    private bool HostAllowed(string host)
    {
        foreach (var allowed in _options.AllowedHosts)
        {
            var name = allowed.Trim().TrimEnd('.');
            if (name == "*"
                || host.Equals(name, StringComparison.OrdinalIgnoreCase)
                || (host.Length > name.Length + 1 && host.EndsWith("." + name, StringComparison.OrdinalIgnoreCase) && !IPAddress.TryParse(host, out _)))
            {
                return true;
            }
        }

        return false;
    }

    private bool AddressAllowed(IPAddress address) =>
        PublicAddresses.IsPublic(address) || (_options.AllowLoopbackForTesting && PublicAddresses.IsLoopback(address));

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = IPAddress.TryParse(endpoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endpoint.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new UrlFetchException(StatusCodes.Status400BadRequest, $"Failed to fetch URL: '{Http.Problems.Echo(endpoint.Host, MaxMessageUrl)}' has no address");
        }

        // Every address must be public: a name that also resolves to an internal address is refused outright, and
        // the socket dials exactly these checked addresses (no second resolution an attacker could answer differently).
        foreach (var address in addresses)
        {
            if (!AddressAllowed(address))
            {
                throw new UrlFetchException(StatusCodes.Status400BadRequest,
                    $"Invalid or unsafe URL provided: '{Http.Problems.Echo(endpoint.Host, MaxMessageUrl)}' resolves to {address}, which is not a public address");
            }
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, endpoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<byte[]> ReadCappedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            while (true)
            {
                var read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return buffer.ToArray();
                }

                if (buffer.Length + read > _options.MaxBytes)
                {
                    throw TooLarge();
                }

                buffer.Write(chunk, 0, read);
            }
        }
    }

    private UrlFetchException TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, $"Content too large: the body is over {_options.MaxBytes.ToString(CultureInfo.InvariantCulture)} bytes, this server's limit for fetched media");
}
