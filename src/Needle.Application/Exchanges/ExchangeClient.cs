using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Http.Resilience;
using Needle.Core.Exchanges;
using Polly;

namespace Needle.Application.Exchanges;

/// <summary>
/// One provider's fetching, page by page from a checkpoint. Requests go through a resilience pipeline: retries with
/// exponential backoff and jitter on a 5xx, a 408, a 429 (waiting what its Retry-After says) or a network error, and a
/// time limit per attempt, all on the injected clock.
/// </summary>
internal abstract class ExchangeClient : IDisposable
{
    private readonly HttpClient _http;

    protected ExchangeClient(ExchangeContext context)
    {
        Context = context;
        var options = context.Options;
        var pipeline = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = context.Time }
            .AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, options.MaxRetries),
                Delay = options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldRetryAfterHeader = true,
            })
            .AddTimeout(options.RequestTimeout)
            .Build();
        var handler = new ResilienceHandler(pipeline) { InnerHandler = context.Handler ?? new SocketsHttpHandler { AllowAutoRedirect = false } };
        _http = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    protected ExchangeContext Context { get; }

    protected string Setting(string name) => Context.Settings.TryGetValue(name, out var value) ? value : throw new ExchangeFetchException($"The exchange has no setting '{name}'.");

    protected string? OptionalSetting(string name) => Context.Settings.GetValueOrDefault(name);

    protected string Credential(string name) => Context.Credentials.TryGetValue(name, out var value) ? value : throw new ExchangeFetchException($"The exchange has no credential '{name}'.");

    protected int PageSize => OptionalSetting("pageSize") is { } size ? int.Parse(size, System.Globalization.CultureInfo.InvariantCulture) : Context.Options.PageSize;

    /// <summary>The next page after <paramref name="checkpoint"/> (null: from the start).</summary>
    public abstract Task<ExchangePage> NextAsync(string? checkpoint, CancellationToken cancellationToken);

    /// <summary>Called once before a fetch's first page (NCMEC checks its credentials and reads the server's time here).</summary>
    public virtual Task BeginAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Why <paramref name="checkpoint"/> is too old to resume from (the provider forgets changes after a while), or null when it is not.</summary>
    public virtual string? StaleReason(string? checkpoint, DateTimeOffset now) => null;

    public void Dispose() => _http.Dispose();

    /// <summary>Sends a request (retried as above) and returns the body, or throws <see cref="ExchangeFetchException"/> saying what the provider answered.</summary>
    protected async Task<byte[]> SendAsync(HttpMethod method, Uri uri, Action<HttpRequestHeaders>? headers, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, uri) { Content = content };
        headers?.Invoke(request.Headers);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e)
        {
            throw new ExchangeFetchException($"{method} {uri.GetLeftPart(UriPartial.Path)} failed: {e.Message}", e);
        }
        catch (TimeoutException e)
        {
            throw new ExchangeFetchException($"{method} {uri.GetLeftPart(UriPartial.Path)} timed out.", e);
        }
        catch (Polly.Timeout.TimeoutRejectedException e)
        {
            throw new ExchangeFetchException($"{method} {uri.GetLeftPart(UriPartial.Path)} timed out after {Context.Options.RequestTimeout.TotalSeconds:0} s.", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new ExchangeFetchException($"{method} {uri.GetLeftPart(UriPartial.Path)} answered {(int)response.StatusCode} {response.ReasonPhrase}{(response.StatusCode == HttpStatusCode.TooManyRequests ? " (still rate limited after the retries)" : "")}.")
                {
                    StatusCode = response.StatusCode,
                };
            }

            var limit = Context.Options.MaxResponseBytes;
            if (response.Content.Headers.ContentLength > limit)
            {
                throw new ExchangeFetchException($"{uri.GetLeftPart(UriPartial.Path)} answered {response.Content.Headers.ContentLength} bytes, more than the {limit} accepted.");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int read;
                while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + read > limit)
                    {
                        throw new ExchangeFetchException($"{uri.GetLeftPart(UriPartial.Path)} answered more than the {limit} bytes accepted.");
                    }

                    buffer.Write(chunk, 0, read);
                }

                return buffer.ToArray();
            }
        }
    }

    /// <summary>The base URL with a trailing slash, so relative paths append to it.</summary>
    protected static Uri BaseUri(string baseUrl) => new(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/", UriKind.Absolute);

    /// <summary>Builds an item per key from entries and tombstones in their record order (a later record of a key wins).</summary>
    protected static List<ExchangeItem> Items(IEnumerable<(int Record, string Key, Needle.Matching.Lists.HashListEntry? Entry)> records)
    {
        var items = new List<ExchangeItem>();
        foreach (var group in records.OrderBy(static r => r.Record).GroupBy(static r => (r.Record, r.Key)))
        {
            var entries = group.Where(static r => r.Entry is not null).Select(static r => r.Entry!).ToList();
            items.Add(new ExchangeItem(group.Key.Key, entries));
        }

        return items;
    }
}
