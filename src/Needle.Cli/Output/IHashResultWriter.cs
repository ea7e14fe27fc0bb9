using Needle.Hashing;

namespace Needle.Cli.Output;

/// <summary>Writes <c>needle hash</c> results in one output format.</summary>
internal interface IHashResultWriter
{
    void WriteHeader();

    /// <summary>Writes one result; failed files are written only by formats that carry errors in-band.</summary>
    void Write(MediaHashResult result);
}
