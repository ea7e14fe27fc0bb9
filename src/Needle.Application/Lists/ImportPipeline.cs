using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Needle.Matching.Lists;

namespace Needle.Application.Lists;

/// <summary>
/// An import's parsing and its writing to the store on two threads: the parser (the caller's fill) runs on a thread
/// of its own and packs its rows, in the stage's encoding, into batches of about a megabyte; each full batch is
/// appended to the <see cref="ImportStage"/> in one write and handed to the store's thread, which unpacks its rows into
/// one reused <see cref="ImportRow"/> and writes them, in order, while the parser fills the next batch. Whatever one
/// side throws stops the other and is thrown to the caller as it was thrown.
/// </summary>
internal sealed class ImportPipeline : IDisposable
{
    private const int BatchBytes = 1 << 20;
    private const int Batches = 4;

    private readonly ImportStage _stage;
    private readonly BlockingCollection<Batch> _full = new(Batches);
    private readonly BlockingCollection<Batch> _free = new(Batches);
    private readonly CancellationTokenSource _stop = new();
    private Batch _filling = new();
    private ExceptionDispatchInfo? _failure;

    private ImportPipeline(ImportStage stage)
    {
        _stage = stage;
        for (var i = 1; i < Batches; i++)
        {
            _free.Add(new Batch());
        }
    }

    /// <summary>
    /// Runs <paramref name="fill"/> on a thread of its own, stages what it hands over, and hands each row to
    /// <paramref name="add"/> on the calling thread, in order; returns once both are done.
    /// </summary>
    public static void Run(Action<Action<ImportRow>> fill, ImportStage stage, Action<ImportRow> add)
    {
        using var pipeline = new ImportPipeline(stage);
        var parser = new Thread(() => pipeline.Produce(fill)) { IsBackground = true, Name = "Needle import parser" };
        parser.Start();
        try
        {
            pipeline.Consume(add);
        }
        catch
        {
            // The store failed: the parser stops at its next row and is waited for (it reads the caller's stream).
            pipeline._stop.Cancel();
            parser.Join();
            throw;
        }

        parser.Join();
    }

    /// <summary>
    /// The same on the calling thread alone: each row goes to <paramref name="add"/> as it is parsed and is staged in
    /// batches of the same size (for a store whose database does its part of the work on the same cores).
    /// </summary>
    public static void RunInline(Action<Action<ImportRow>> fill, ImportStage stage, Action<ImportRow> add)
    {
        var batch = new Batch();
        fill(row =>
        {
            add(row);
            batch.Add(row);
            if (batch.Length >= BatchBytes)
            {
                stage.Append(batch.Bytes, batch.Count);
                batch.Clear();
            }
        });
        stage.Append(batch.Bytes, batch.Count);
    }

    public void Dispose()
    {
        _full.Dispose();
        _free.Dispose();
        _stop.Dispose();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Produce(Action<Action<ImportRow>> fill)
    {
        try
        {
            fill([MethodImpl(MethodImplOptions.AggressiveOptimization)] (row) =>
            {
                if (_stop.IsCancellationRequested)
                {
                    throw new OperationCanceledException(_stop.Token);
                }

                _filling.Add(row);
                if (_filling.Length >= BatchBytes)
                {
                    Hand();
                }
            });

            if (_filling.Count > 0)
            {
                Hand();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The store's side failed and says why.
        }
#pragma warning disable CA1031 // Whatever the parser throws is thrown again on the store's side.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _full.CompleteAdding();
        }
    }

    private void Hand()
    {
        _stage.Append(_filling.Bytes, _filling.Count);
        _full.Add(_filling, _stop.Token);
        _filling = _free.Take(_stop.Token);
        _filling.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Consume(Action<ImportRow> add)
    {
        var row = new ImportRow();
        foreach (var batch in _full.GetConsumingEnumerable())
        {
            var bytes = batch.Bytes;
            var at = 0;
            for (var i = 0; i < batch.Count; i++)
            {
                ImportStage.Decode(bytes, ref at, row);
                add(row);
            }

            _free.Add(batch);
        }

        _failure?.Throw();
    }

    /// <summary>Rows packed one after the other in the stage's encoding.</summary>
    private sealed class Batch
    {
        private byte[] _bytes = new byte[BatchBytes + (64 * 1024)];

        public int Length { get; private set; }

        public int Count { get; private set; }

        public ReadOnlySpan<byte> Bytes => _bytes.AsSpan(0, Length);

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Add(ImportRow row)
        {
            var length = Length;
            ImportStage.Encode(row, ref _bytes, ref length);
            Length = length;
            Count++;
        }

        public void Clear()
        {
            Length = 0;
            Count = 0;
        }
    }
}
