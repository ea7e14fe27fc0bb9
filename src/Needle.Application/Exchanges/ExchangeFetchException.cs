namespace Needle.Application.Exchanges;

/// <summary>A provider's answer could not be used (an HTTP error after the retries, a malformed page): the fetch stops, nothing of the page is applied.</summary>
public sealed class ExchangeFetchException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExchangeFetchException()
        : base("The provider's answer could not be used.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ExchangeFetchException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ExchangeFetchException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The provider's HTTP status when it refused the request; null for other failures.</summary>
    public System.Net.HttpStatusCode? StatusCode { get; init; }
}
