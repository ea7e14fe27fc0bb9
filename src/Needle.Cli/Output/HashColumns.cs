using Needle.Hashing;

namespace Needle.Cli.Output;

/// <summary>Which hash columns a <c>needle hash</c> run prints, in the order the user named them.</summary>
internal sealed class HashColumns
{
    private HashColumns(IReadOnlyList<HashAlgorithms> order, bool dihedral)
    {
        Order = order;
        Dihedral = dihedral;
        foreach (var algorithm in order)
        {
            Algorithms |= algorithm;
        }
    }

    public IReadOnlyList<HashAlgorithms> Order { get; }

    public HashAlgorithms Algorithms { get; }

    public bool Dihedral { get; }

    public static HashColumns FromNames(IReadOnlyList<string> names, bool dihedral)
    {
        var order = new List<HashAlgorithms>();
        foreach (var name in names)
        {
            var algorithm = name switch
            {
                "pdq" => HashAlgorithms.Pdq,
                "md5" => HashAlgorithms.Md5,
                "sha1" => HashAlgorithms.Sha1,
                "sha256" => HashAlgorithms.Sha256,
                _ => throw new ArgumentException($"unknown algorithm '{name}'", nameof(names)),
            };
            if (!order.Contains(algorithm))
            {
                order.Add(algorithm);
            }
        }

        if (order.Count == 0 || (dihedral && !order.Contains(HashAlgorithms.Pdq)))
        {
            order.Insert(0, HashAlgorithms.Pdq);
        }

        return new HashColumns(order, dihedral);
    }
}
