namespace Needle.Application.Cases;

/// <summary>An export package that cannot be imported: altered or damaged, a wrong or missing passphrase, or not a Needle package. The message says which and where.</summary>
public sealed class PackageRejectedException : Exception
{
    /// <summary>A refusal saying what is wrong.</summary>
    /// <param name="message">What is wrong, naming the entry or field.</param>
    public PackageRejectedException(string message)
        : base(message)
    {
    }
}
