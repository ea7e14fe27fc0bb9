using Needle.Application.Triage;
using Needle.Core.Triage;
using Needle.Hashing;
using Needle.Matching.Clustering;
using Needle.Matching.Index;

namespace Needle.Server.Web;

/// <summary>
/// Groups a report's files still to review in series of near-duplicates, as the CLI's scan does
/// (<see cref="PdqClusterer"/>: PDQ hashes within the scoring's near-duplicate distance, chained). Files without a usable
/// PDQ (too low a quality, hashes only, unreadable) stand alone.
/// </summary>
internal static class ReviewSeries
{
    public static IReadOnlyList<FileSeries> Group(IReadOnlyList<ReviewFile> files, ScoringOptions scoring)
    {
        var open = files.Where(static f => f.Current is null || f.Current.Category == DecisionCategory.NeedsEscalation).ToList();
        var hashes = new List<PdqHash>();
        var hashed = new List<int>();
        for (var i = 0; i < open.Count; i++)
        {
            var file = open[i].File;
            if (file.PdqQuality >= scoring.MinimumPdqQuality && PdqHash.TryParse(file.Pdq, out var pdq))
            {
                hashes.Add(pdq);
                hashed.Add(i);
            }
        }

        // Cluster of each open file: PDQ clusters first, then one of its own for each file without a usable hash.
        var clusterOf = new int[open.Count];
        Array.Fill(clusterOf, -1);
        var clustering = new PdqClusterer(static () => new BruteForcePdqIndex()).Cluster(hashes, scoring.NearDuplicateDistance);
        for (var j = 0; j < hashed.Count; j++)
        {
            clusterOf[hashed[j]] = clustering.ClusterIds[j];
        }

        var next = clustering.ClusterCount;
        var members = new Dictionary<int, List<ReviewFile>>();
        var order = new List<int>();
        for (var i = 0; i < open.Count; i++)
        {
            var cluster = clusterOf[i] >= 0 ? clusterOf[i] : next++;
            if (!members.TryGetValue(cluster, out var list))
            {
                list = [];
                members[cluster] = list;
                order.Add(cluster);
            }

            list.Add(open[i]);
        }

        var series = new List<FileSeries>(order.Count);
        foreach (var cluster in order)
        {
            series.Add(new FileSeries(series.Count + 1, members[cluster]));
        }

        return series;
    }
}
