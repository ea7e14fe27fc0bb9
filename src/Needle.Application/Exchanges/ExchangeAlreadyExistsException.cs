namespace Needle.Application.Exchanges;

/// <summary>An exchange with this name exists already.</summary>
public sealed class ExchangeAlreadyExistsException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExchangeAlreadyExistsException()
        : base("The exchange exists already.")
    {
    }

    /// <summary>Creates the exception for the exchange named <paramref name="name"/>.</summary>
    public ExchangeAlreadyExistsException(string name)
        : base($"An exchange named '{name}' exists already.")
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ExchangeAlreadyExistsException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
