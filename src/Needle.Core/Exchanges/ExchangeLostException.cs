namespace Needle.Core.Exchanges;

/// <summary>The fetch no longer holds the exchange (its lease ran out and another worker took it, or it was deleted): nothing was written.</summary>
public sealed class ExchangeLostException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExchangeLostException()
        : base("The fetch no longer holds the exchange's lease.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public ExchangeLostException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ExchangeLostException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
