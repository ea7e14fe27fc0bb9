namespace Needle.Hashing.Decoding;

/// <summary>Why a decode was stopped before it finished.</summary>
internal enum DecodeStop
{
    None,
    TimedOut,
    Cancelled,
}

/// <summary>
/// The time budget and cancellation of one decode. Native decoders cannot be interrupted, so the guard is consulted
/// from the stream that feeds them (and between batches of rows): once it trips, the decoder is starved of data and
/// returns early. A timeout of <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> never expires.
/// </summary>
internal sealed class DecodeGuard
{
    private readonly TimeProvider _timeProvider;
    private readonly long _startTimestamp;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _cancellationToken;

    public DecodeGuard(TimeProvider timeProvider, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _timeProvider = timeProvider;
        _timeout = timeout;
        _cancellationToken = cancellationToken;
        _startTimestamp = timeProvider.GetTimestamp();
    }

    /// <summary>Set once the guard has tripped; it never resets.</summary>
    public DecodeStop Stop { get; private set; }

    /// <summary>Checks the clock and the token; true when the decode must stop.</summary>
    public bool ShouldStop()
    {
        if (Stop != DecodeStop.None)
        {
            return true;
        }

        if (_cancellationToken.IsCancellationRequested)
        {
            Stop = DecodeStop.Cancelled;
        }
        else if (_timeout != System.Threading.Timeout.InfiniteTimeSpan && _timeProvider.GetElapsedTime(_startTimestamp) >= _timeout)
        {
            Stop = DecodeStop.TimedOut;
        }

        return Stop != DecodeStop.None;
    }

    /// <summary>Throws the exception that matches a tripped guard; does nothing if it has not tripped.</summary>
    public void ThrowIfStopped(string? name)
    {
        switch (Stop)
        {
            case DecodeStop.Cancelled:
                throw new OperationCanceledException(_cancellationToken);
            case DecodeStop.TimedOut:
                throw new ImageDecodeException(
                    name, DecodeFailure.TimedOut, $"decoding took longer than the limit of {_timeout.TotalSeconds:0.###} s");
            default:
                return;
        }
    }

    /// <summary>Checks now and throws if the decode must stop.</summary>
    public void ThrowIfShouldStop(string? name)
    {
        if (ShouldStop())
        {
            ThrowIfStopped(name);
        }
    }
}
