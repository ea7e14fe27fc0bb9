namespace Needle.Application.Exchanges;

/// <summary>No exchange has the name asked for.</summary>
public sealed class ExchangeNotFoundException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExchangeNotFoundException()
        : base("There is no such exchange.")
    {
    }

    /// <summary>Creates the exception for the exchange named <paramref name="name"/>.</summary>
    public ExchangeNotFoundException(string name)
        : base($"There is no exchange named '{name}'.")
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ExchangeNotFoundException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
