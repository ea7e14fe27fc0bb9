using Needle.Core.Jobs;
using Needle.Core.Storage;

namespace Needle.Application.Processing;

/// <summary>Gives back a job that a full database stopped, without counting the attempt against it.</summary>
internal static class UncountedRelease
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Releases <paramref name="job"/>. A full disk may refuse the release too; the worker then tries again every second
    /// while its lease lasts, so the job runs again soon after space returns instead of once the lease runs out.
    /// </summary>
    public static async Task ReleaseAsync(
        IJobQueue jobs, LeasedJob job, string error, TimeSpan retryAfter, TimeSpan lease, TimeProvider time, CancellationToken ct)
    {
        var leaseEnds = time.GetUtcNow() + lease;
        while (true)
        {
            try
            {
                await jobs.ReleaseUncountedAsync(job, error, retryAfter, CancellationToken.None).ConfigureAwait(false);
                return;
            }
            catch (StorageFullException) when (time.GetUtcNow() + RetryEvery < leaseEnds && !ct.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(RetryEvery, time, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
#pragma warning disable CA1031 // Anything else: the lease ends on its own and another worker takes the job.
            catch (Exception)
#pragma warning restore CA1031
            {
                return;
            }
        }
    }
}
