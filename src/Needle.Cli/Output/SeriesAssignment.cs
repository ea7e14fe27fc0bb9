using Needle.Matching.Clustering;

namespace Needle.Cli.Output;

/// <summary>Which series (cluster of near-duplicates with two or more files) each scanned file belongs to.</summary>
internal sealed class SeriesAssignment
{
    private readonly int[] _seriesOfFile;

    private SeriesAssignment(int[] seriesOfFile, IReadOnlyList<IReadOnlyList<int>> members)
    {
        _seriesOfFile = seriesOfFile;
        Members = members;
    }

    /// <summary>File indexes of each series, series numbered from 1 in order of their first file.</summary>
    public IReadOnlyList<IReadOnlyList<int>> Members { get; }

    /// <summary>The series number of file <paramref name="fileIndex"/>, or 0 when it has no near-duplicate.</summary>
    public int SeriesOf(int fileIndex) => _seriesOfFile[fileIndex];

    public int SizeOf(int series) => series == 0 ? 1 : Members[series - 1].Count;

    public static SeriesAssignment From(int fileCount, IReadOnlyList<int> owners, PdqClustering clustering)
    {
        var clusterSizes = new int[clustering.ClusterCount];
        foreach (var cluster in clustering.ClusterIds)
        {
            clusterSizes[cluster]++;
        }

        var seriesOfCluster = new int[clustering.ClusterCount];
        var members = new List<List<int>>();
        var seriesOfFile = new int[fileCount];
        for (var i = 0; i < owners.Count; i++)
        {
            var cluster = clustering.ClusterIds[i];
            if (clusterSizes[cluster] < 2)
            {
                continue;
            }

            if (seriesOfCluster[cluster] == 0)
            {
                members.Add([]);
                seriesOfCluster[cluster] = members.Count;
            }

            seriesOfFile[owners[i]] = seriesOfCluster[cluster];
            members[seriesOfCluster[cluster] - 1].Add(owners[i]);
        }

        return new SeriesAssignment(seriesOfFile, members);
    }
}
