using Microsoft.Extensions.Time.Testing;
using Needle.Testing.Images;
using SkiaSharp;
using static Needle.Hashing.Tests.TestImages;

namespace Needle.Hashing.Tests;

/// <summary>
/// <see cref="ImageDecoder.DecodeForDisplay"/> applies the hasher's limits, and every decode reserves its pixel memory
/// from the process-wide <see cref="DecodeMemoryBudget"/>, waiting (within its time-out) while the budget is full.
/// </summary>
public sealed class DisplayDecodeAndBudgetTests
{
    [Fact]
    public void Display_decode_of_a_20000x20000_png_is_refused_from_its_header_without_allocating_pixels()
    {
        var png = HostilePngs.HugeGrey(20000, 20000);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().DecodeForDisplay(png, 144));

        Assert.Equal(DecodeFailure.DimensionsTooLarge, error.Failure);
        Assert.Contains("20000x20000", error.Reason, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 10 * 1024 * 1024);
    }

    [Fact]
    public void Display_decode_fits_the_longest_side_and_refuses_a_truncated_jpeg()
    {
        using var bitmap = Bitmap(1200, 800, Pattern);
        var jpeg = Encode(bitmap, SKEncodedImageFormat.Jpeg, 90);
        var decoder = new ImageDecoder();

        using var shown = decoder.DecodeForDisplay(jpeg, 144);
        Assert.Equal((144, 96, PixelLayout.Rgb24), (shown.Width, shown.Height, shown.Layout));
        Assert.Equal((1200, 800), (shown.SourceWidth, shown.SourceHeight));

        byte[] cut = [.. jpeg.AsSpan(0, jpeg.Length / 2), 0xFF, 0xD9];
        var error = Assert.Throws<ImageDecodeException>(() => decoder.DecodeForDisplay(cut, 144));
        Assert.Equal(DecodeFailure.Truncated, error.Failure);
        Assert.StartsWith("truncated: ", error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_decode_waits_while_the_budget_is_full_and_gives_up_at_its_timeout()
    {
        var clock = new FakeTimeProvider();
        var budget = new DecodeMemoryBudget(1024 * 1024);
        var decoder = new ImageDecoder(new DecodeOptions { MemoryBudget = budget, DecodeTimeout = TimeSpan.FromSeconds(5) }, clock);
        var png = File.ReadAllBytes(TestData.Photo("p04_flowers.png")); // 300x200: 240 KB of RGBA

        // Another decode holds the whole budget.
        var holder = new Decoding.DecodeGuard(clock, Timeout.InfiniteTimeSpan, default);
        var held = budget.Reserve(budget.CapacityBytes, holder, "holder");
        var waiting = Task.Run(() => decoder.Decode(png, "waiting.png"));
        while (!waiting.IsCompleted && budget.InUseBytes == budget.CapacityBytes)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            Thread.Sleep(20);
        }

        var error = Assert.Throws<ImageDecodeException>(() => waiting.GetAwaiter().GetResult());
        Assert.Equal(DecodeFailure.TimedOut, error.Failure);
        held.Dispose();
        Assert.Equal(0, budget.InUseBytes);

        // Once the memory is back, the same decode runs and gives its reservation back.
        using (var image = decoder.Decode(png, "now.png"))
        {
            Assert.Equal(300, image.SourceWidth);
        }

        Assert.Equal(0, budget.InUseBytes);
    }

    [Fact]
    public void A_decode_larger_than_the_whole_budget_runs_alone()
    {
        var budget = new DecodeMemoryBudget(1024);
        var decoder = new ImageDecoder(new DecodeOptions { MemoryBudget = budget });

        using var image = decoder.Decode(File.ReadAllBytes(TestData.Photo("p04_flowers.png")), "big.png");

        Assert.Equal(300, image.SourceWidth);
        Assert.Equal(0, budget.InUseBytes);
    }
}
