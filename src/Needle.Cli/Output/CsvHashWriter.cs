using Needle.Hashing;

namespace Needle.Cli.Output;

/// <summary>
/// CSV exactly as Meta's <c>pdq-photo-hasher</c> prints it: <c>hash,quality,path</c>, or with <c>--dihedral</c> the
/// eight hashes, the quality and the path. Other algorithms add their columns in the order asked; the path is always
/// last and printed as given, as the reference does, so a comma inside it stays readable by splitting on the first
/// commas. A path with a quote or line break is quoted (RFC 4180) since it could not be read back otherwise.
/// </summary>
internal sealed class CsvHashWriter(TextWriter output, HashColumns columns) : IHashResultWriter
{
    private static readonly string[] DihedralNames =
        ["original", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus1", "flipminus1"];

    public void WriteHeader()
    {
        var first = true;
        foreach (var algorithm in columns.Order)
        {
            if (!first)
            {
                output.Write(',');
            }

            first = false;
            switch (algorithm)
            {
                case HashAlgorithms.Pdq when columns.Dihedral:
                    output.Write(string.Join(',', DihedralNames));
                    output.Write(",quality");
                    break;
                case HashAlgorithms.Pdq:
                    output.Write("hash,quality");
                    break;
                default:
                    output.Write(algorithm.ToString().ToLowerInvariant());
                    break;
            }
        }

        output.WriteLine(",path");
    }

    public void Write(MediaHashResult result)
    {
        if (!result.Succeeded)
        {
            // Errors go to stderr; the reference's all-zero line for an undecodable file is a defect not copied.
            return;
        }

        Span<char> hex = stackalloc char[PdqHash.HexLength];
        var first = true;
        foreach (var algorithm in columns.Order)
        {
            if (!first)
            {
                output.Write(',');
            }

            first = false;
            switch (algorithm)
            {
                case HashAlgorithms.Pdq when result.Dihedral is { } dihedral:
                    foreach (var hash in dihedral.Hashes)
                    {
                        hash.TryFormat(hex, out _, default, null);
                        output.Write(hex);
                        output.Write(',');
                    }

                    output.Write(dihedral.Quality);
                    break;
                case HashAlgorithms.Pdq:
                    var pdq = result.Pdq!.Value;
                    pdq.Hash.TryFormat(hex, out _, default, null);
                    output.Write(hex);
                    output.Write(',');
                    output.Write(pdq.Quality);
                    break;
                case HashAlgorithms.Md5:
                    output.Write(result.Md5);
                    break;
                case HashAlgorithms.Sha1:
                    output.Write(result.Sha1);
                    break;
                case HashAlgorithms.Sha256:
                    output.Write(result.Sha256);
                    break;
            }
        }

        output.Write(',');
        output.WriteLine(QuoteIfNeeded(result.Path));
    }

    private static string QuoteIfNeeded(string path) =>
        path.AsSpan().IndexOfAny('"', '\n', '\r') >= 0 ? "\"" + path.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : path;
}
