namespace Needle.Cli.Infrastructure;

/// <summary>
/// Runs work items on several threads and hands the results to a single consumer in input order, so output is stable
/// whatever the thread count. At most <c>window</c> results wait for an earlier slow item, which bounds memory.
/// </summary>
internal static class OrderedParallel
{
    /// <param name="items">The inputs, in output order.</param>
    /// <param name="threads">Worker threads.</param>
    /// <param name="createWorker">Makes one worker's state (e.g. a hasher with its own buffers) for each thread.</param>
    /// <param name="work">Computes one result; exceptions should be turned into result values by the caller.</param>
    /// <param name="consume">Receives every result in input order, on one thread at a time.</param>
    /// <param name="cancellationToken">Cancels the run (it then throws <see cref="OperationCanceledException"/>).</param>
    public static void Run<TIn, TState, TOut>(
        IReadOnlyList<TIn> items,
        int threads,
        Func<TState> createWorker,
        Func<TState, TIn, CancellationToken, TOut> work,
        Action<int, TOut> consume,
        CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var count = items.Count;
        if (count == 0)
        {
            return;
        }

        threads = Math.Min(threads, count);
        var window = Math.Max(64, threads * 16);
        var results = new TOut[count];
        var done = new bool[count];
        var gate = new object();
        var nextToClaim = -1;
        var nextToEmit = 0;
        using var slots = new SemaphoreSlim(window, window);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var token = stop.Token;
        Exception? failure = null;

        void Worker()
        {
            var state = createWorker();
            try
            {
                while (true)
                {
                    slots.Wait(token);
                    var index = Interlocked.Increment(ref nextToClaim);
                    if (index >= count)
                    {
                        slots.Release();
                        return;
                    }

                    var result = work(state, items[index], token);
                    lock (gate)
                    {
                        results[index] = result;
                        done[index] = true;

                        // Whoever completes the next item in order emits everything that is ready; holding the lock
                        // keeps emission single-threaded and in order.
                        while (nextToEmit < count && done[nextToEmit])
                        {
                            consume(nextToEmit, results[nextToEmit]);
                            results[nextToEmit] = default!;
                            nextToEmit++;
                            slots.Release();
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // One failed worker stops the others: the items after it could never be emitted in order.
                Interlocked.CompareExchange(ref failure, ex, null);
                stop.Cancel();
            }
            finally
            {
                (state as IDisposable)?.Dispose();
            }
        }

        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            workers[t] = new Thread(Worker) { IsBackground = true, Name = $"needle-worker-{t}" };
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        if (failure is not null)
        {
            throw new InvalidOperationException("A worker failed: " + failure.Message, failure);
        }

        cancellationToken.ThrowIfCancellationRequested();
    }
}
