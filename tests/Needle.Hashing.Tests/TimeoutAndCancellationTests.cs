using Microsoft.Extensions.Time.Testing;
using SkiaSharp;
using static Needle.Hashing.Tests.TestImages;

namespace Needle.Hashing.Tests;

/// <summary>
/// A decode that runs past <see cref="DecodeOptions.DecodeTimeout"/> or is cancelled stops: the decoder stops feeding
/// Skia data, so the native decode returns early. Time is simulated with <see cref="FakeTimeProvider"/>.
/// </summary>
public sealed class TimeoutAndCancellationTests
{
    [Fact]
    public void Png_decode_that_outlives_the_timeout_stops_and_reports_TimedOut()
    {
        var clock = new FakeTimeProvider();
        var decoder = new ImageDecoder(new DecodeOptions { DecodeTimeout = TimeSpan.FromSeconds(10) }, clock);
        var bytes = File.ReadAllBytes(TestData.Photo("p22_studio_pano.png"));
        using var slowStream = new HookedStream(bytes, _ => clock.Advance(TimeSpan.FromSeconds(1)));

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(slowStream, "slow.png"));

        Assert.Equal(DecodeFailure.TimedOut, error.Failure);
        Assert.Contains("slow.png", error.Message, StringComparison.Ordinal);
        Assert.Contains("10 s", error.Message, StringComparison.Ordinal);
        Assert.InRange(slowStream.ReadCalls, 1, 10); // stopped at the deadline, not at the end of the file
        Assert.True(slowStream.BytesRead < bytes.Length);
    }

    [Fact]
    public void Large_jpeg_scanline_decode_that_outlives_the_timeout_reports_TimedOut()
    {
        var clock = new FakeTimeProvider();
        var decoder = new ImageDecoder(new DecodeOptions { DecodeTimeout = TimeSpan.FromSeconds(5) }, clock);
        using var bitmap = Bitmap(1400, 900, Pattern);
        var jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg, 90);
        using var slowStream = new HookedStream(jpeg, _ => clock.Advance(TimeSpan.FromSeconds(1)));

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(slowStream, "slow.jpg"));

        Assert.Equal(DecodeFailure.TimedOut, error.Failure);
        Assert.True(slowStream.BytesRead < jpeg.Length);
    }

    [Fact]
    public void Decode_within_the_timeout_succeeds_with_a_moving_clock()
    {
        var clock = new FakeTimeProvider();
        var decoder = new ImageDecoder(new DecodeOptions { DecodeTimeout = TimeSpan.FromHours(1) }, clock);
        var bytes = File.ReadAllBytes(TestData.Photo("p22_studio_pano.png"));
        using var slowStream = new HookedStream(bytes, _ => clock.Advance(TimeSpan.FromSeconds(1)));

        using var image = decoder.Decode(slowStream, "slow.png");

        Assert.Equal((512, 512), (image.Width, image.Height));
    }

    [Fact]
    public void Infinite_timeout_never_expires()
    {
        var clock = new FakeTimeProvider();
        var decoder = new ImageDecoder(new DecodeOptions { DecodeTimeout = Timeout.InfiniteTimeSpan }, clock);
        var bytes = File.ReadAllBytes(TestData.Photo("p04_flowers.png"));
        using var slowStream = new HookedStream(bytes, _ => clock.Advance(TimeSpan.FromDays(1)));

        using var image = decoder.Decode(slowStream, "slow.png");

        Assert.Equal(300, image.Width);
    }

    [Fact]
    public void Zero_timeout_refuses_even_in_memory_bytes()
    {
        var decoder = new ImageDecoder(new DecodeOptions { DecodeTimeout = TimeSpan.Zero }, new FakeTimeProvider());

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(File.ReadAllBytes(TestData.Photo("p04_flowers.png")), "p04.png"));

        Assert.Equal(DecodeFailure.TimedOut, error.Failure);
    }

    [Fact]
    public void Token_cancelled_before_the_call_throws_OperationCanceledException()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var decoder = new ImageDecoder();

        Assert.ThrowsAny<OperationCanceledException>(() => decoder.Decode(TestData.Photo("p04_flowers.png"), cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => decoder.Decode(File.ReadAllBytes(TestData.Photo("p04_flowers.png")), "p04.png", cancelled.Token));
    }

    [Fact]
    public void Token_cancelled_during_the_decode_stops_it_with_OperationCanceledException()
    {
        using var cancellation = new CancellationTokenSource();
        var bytes = File.ReadAllBytes(TestData.Photo("p22_studio_pano.png"));
        using var stream = new HookedStream(bytes, readCall =>
        {
            if (readCall == 3)
            {
                cancellation.Cancel(); // as a user pressing Ctrl+C mid-decode
            }
        });
        var decoder = new ImageDecoder();

        var error = Assert.ThrowsAny<OperationCanceledException>(() => decoder.Decode(stream, "cancelled.png", cancellation.Token));

        Assert.Equal(cancellation.Token, error.CancellationToken);
        Assert.True(stream.BytesRead < bytes.Length);
    }
}
