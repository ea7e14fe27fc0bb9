using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Needle.Application.Lists;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

/// <summary>HMA's bank enabled ratio: kept per bank in both stores and audited; the coin flip is the same for the same seed and spread evenly.</summary>
public abstract class BankSamplingTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task A_ratio_is_kept_per_bank_and_audited_and_an_unset_bank_is_fully_enabled()
    {
        await using var t = await CreateStoreAsync();
        var sampling = new BankSampling(t.Store.Settings);

        Assert.Equal(1.0, await sampling.GetRatioAsync("NEVER_SET"));
        await sampling.SetRatioAsync("BANK_A", 0.25, "tester", "10.0.0.9");
        await sampling.SetRatioAsync("BANK_B", 0.0, "tester");
        await sampling.SetRatioAsync("BANK_A", 0.75, "tester");

        Assert.Equal(0.75, await sampling.GetRatioAsync("BANK_A"));
        Assert.Equal(0.0, await sampling.GetRatioAsync("BANK_B"));
        var audit = await t.Store.Audit.ReadAsync(0, 100);
        Assert.Equal(3, audit.Count(e => e.Action == "hma.bank.ratio"));
        Assert.Contains(audit, e => e.Action == "hma.bank.ratio" && e.Target == "BANK_A" && e.RemoteAddress == "10.0.0.9");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sampling.SetRatioAsync("BANK_A", 1.01, "tester"));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => sampling.SetRatioAsync("BANK_A", double.NaN, "tester"));
    }

    [Fact]
    public async Task A_cached_ratio_changes_at_once_when_set_here_and_within_the_cache_window_when_set_by_another_node()
    {
        await using var t = await CreateStoreAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var here = new BankSampling(t.Store.Settings, clock, TimeSpan.FromSeconds(1));
        var otherNode = new BankSampling(t.Store.Settings, clock, TimeSpan.FromSeconds(1));

        Assert.Equal(1.0, await here.GetRatioAsync("BANK"));
        await here.SetRatioAsync("BANK", 0.5, "tester");
        Assert.Equal(0.5, await here.GetRatioAsync("BANK"));

        // Another node's change: the cached ratio is kept until the window ends, then the store's is read.
        await otherNode.SetRatioAsync("BANK", 0.25, "tester");
        Assert.Equal(0.5, await here.GetRatioAsync("BANK"));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0.25, await here.GetRatioAsync("BANK"));

        // Without a window every read goes to the store.
        var uncached = new BankSampling(t.Store.Settings, clock);
        Assert.Equal(0.25, await uncached.GetRatioAsync("BANK"));
        await otherNode.SetRatioAsync("BANK", 0.75, "tester");
        Assert.Equal(0.75, await uncached.GetRatioAsync("BANK"));
        Assert.Equal(3, (await t.Store.Audit.ReadAsync(0, 100)).Count(e => e.Action == "hma.bank.ratio"));
    }

    [Fact]
    public void The_coin_flip_is_deterministic_and_spread_over_zero_to_one()
    {
        Assert.Equal(BankSampling.CoinFlip("content-17"), BankSampling.CoinFlip("content-17"));
        var buckets = new int[10];
        for (var i = 0; i < 10_000; i++)
        {
            var flip = BankSampling.CoinFlip("item-" + i);
            Assert.InRange(flip, 0.0, 0.9999999999);
            buckets[(int)(flip * 10)]++;
        }

        // 1,000 expected per tenth; a fair split leaves 850..1150 with overwhelming probability.
        Assert.All(buckets, count => Assert.InRange(count, 850, 1150));
        Assert.True(BankSampling.Admits(1.0, 0.9999));
        Assert.False(BankSampling.Admits(0.0, 0.0001));
        Assert.True(BankSampling.Admits(0.5, 0.5));
    }

    [Theory]
    [InlineData("0.5", 0.5)]
    [InlineData("\"0.25\"", 0.25)]
    [InlineData("\"1\"", 1.0)]
    [InlineData("0", 0.0)]
    public void A_ratio_reads_from_a_number_or_a_string(string json, double expected)
    {
        using var document = JsonDocument.Parse(json);
        Assert.True(BankSampling.TryReadRatio(document.RootElement, out var ratio));
        Assert.Equal(expected, ratio);
    }

    [Theory]
    [InlineData("\"half\"")]
    [InlineData("true")]
    [InlineData("[0.5]")]
    public void Anything_else_is_not_a_ratio(string json)
    {
        using var document = JsonDocument.Parse(json);
        Assert.False(BankSampling.TryReadRatio(document.RootElement, out _));
    }
}

public sealed class BankSamplingTests_on_Sqlite() : BankSamplingTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class BankSamplingTests_on_Postgres(PostgresServer server) : BankSamplingTests(StoreBackend.Postgres(server));
