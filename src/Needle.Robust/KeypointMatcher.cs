using System.Numerics;
using System.Runtime.InteropServices;
using Needle.Matching.Lists;

namespace Needle.Robust;

/// <summary>
/// The two nearest listed keypoints of every query keypoint by Hamming distance, ranked as OpenCV's brute-force
/// two-nearest match ranks them (a tie keeps the lower listed index first), so the ratio test keeps the same pairs;
/// without OpenCV's per-call matcher, result arrays and marshalling, which cost more than the distances themselves.
/// </summary>
internal static class KeypointMatcher
{
    private const int Words = RobustFeatures.KeypointDescriptorBytes / sizeof(ulong);

    /// <summary>
    /// For each of the <paramref name="queryCount"/> query keypoints: the index of its nearest listed keypoint, that
    /// distance and the second nearest's (<see cref="int.MaxValue"/> when there is only one listed keypoint).
    /// </summary>
    public static void NearestTwo(
        ReadOnlySpan<byte> query, int queryCount, ReadOnlySpan<byte> listed, int listedCount, Span<int> nearest, Span<int> bestDistance, Span<int> secondDistance)
    {
        var q = MemoryMarshal.Cast<byte, ulong>(query[..(queryCount * RobustFeatures.KeypointDescriptorBytes)]);
        var l = MemoryMarshal.Cast<byte, ulong>(listed[..(listedCount * RobustFeatures.KeypointDescriptorBytes)]);
        for (var i = 0; i < queryCount; i++)
        {
            ulong q0 = q[i * Words], q1 = q[(i * Words) + 1], q2 = q[(i * Words) + 2], q3 = q[(i * Words) + 3];
            int best = int.MaxValue, second = int.MaxValue, bestIndex = -1;
            for (var j = 0; j < listedCount; j++)
            {
                var o = j * Words;
                var d = BitOperations.PopCount(q0 ^ l[o]) + BitOperations.PopCount(q1 ^ l[o + 1]) +
                    BitOperations.PopCount(q2 ^ l[o + 2]) + BitOperations.PopCount(q3 ^ l[o + 3]);
                if (d < second)
                {
                    if (d < best)
                    {
                        second = best;
                        best = d;
                        bestIndex = j;
                    }
                    else
                    {
                        second = d;
                    }
                }
            }

            nearest[i] = bestIndex;
            bestDistance[i] = best;
            secondDistance[i] = second;
        }
    }
}
