using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>
/// The contract of <see cref="IAuditLog"/>, including that <see cref="AuditChain.VerifyAsync"/> finds tampering done
/// behind Needle's back. The backend supplies the tampering as raw database writes (bypassing its own protections).
/// </summary>
public abstract class AuditLogContract : StoreContract
{
    /// <summary>Changes the actor of one entry in place.</summary>
    protected abstract Task TamperEditActorAsync(long sequence, string actor);

    /// <summary>Deletes one entry.</summary>
    protected abstract Task TamperDeleteAsync(long sequence);

    /// <summary>Moves entries from <paramref name="entry"/>'s sequence on up by one and inserts <paramref name="entry"/> in the gap.</summary>
    protected abstract Task TamperInsertAsync(AuditEntry entry);

    /// <summary>Exchanges the sequence numbers of two entries (reorders them).</summary>
    protected abstract Task TamperSwapAsync(long first, long second);

    [Fact]
    public async Task Appends_are_chained_and_read_in_order()
    {
        var drafts = Enumerable.Range(1, 5).Select(Draft).ToList();
        var appended = new List<AuditEntry>();
        foreach (var draft in drafts)
        {
            appended.Add(await Store.Audit.AppendAsync(draft));
            Time.Advance(TimeSpan.FromTicks(1001));
        }

        Assert.Equal([1L, 2, 3, 4, 5], appended.Select(e => e.Sequence));
        Assert.Equal(AuditChain.GenesisHash, appended[0].PreviousHash);
        for (var i = 1; i < appended.Count; i++)
        {
            Assert.Equal(appended[i - 1].Hash, appended[i].PreviousHash);
        }

        var all = await Store.Audit.ReadAsync(0, 100);
        Assert.Equal(appended, all);
        Assert.Equal(drafts[4].Details, all[4].Details);
        Assert.Null(all[0].Details);
        Assert.Null(all[2].RemoteAddress);
        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromTicks(1001), all[4].At);
        Assert.Equal([3L, 4], (await Store.Audit.ReadAsync(2, 2)).Select(e => e.Sequence));
        Assert.Empty(await Store.Audit.ReadAsync(5, 10));

        var verification = await AuditChain.VerifyAsync(Store.Audit);
        Assert.True(verification.IsIntact);
        Assert.Equal(5, verification.EntriesChecked);
        Assert.Equal(appended[4].Hash, verification.LastHash);
    }

    [Fact]
    public async Task Concurrent_appends_and_submissions_never_fork_the_chain()
    {
        await Task.WhenAll(Enumerable.Range(0, 10).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                if (i % 4 == 0)
                {
                    await SubmitAsync(TestData.SmallReport(Time.GetUtcNow(), files: 1));
                }
                else
                {
                    await Store.Audit.AppendAsync(Draft((t * 100) + i));
                }
            }
        })));

        var verification = await AuditChain.VerifyAsync(Store.Audit);
        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(80, verification.EntriesChecked);
    }

    [Fact]
    public async Task An_edited_entry_is_found()
    {
        await AppendAsync(6);
        await TamperEditActorAsync(3, "someone-else");
        var verification = await AuditChain.VerifyAsync(Store.Audit);
        AssertBroken(verification, 3, "edited");
        Assert.Equal(2, verification.EntriesChecked);
    }

    [Fact]
    public async Task A_deleted_entry_is_found()
    {
        await AppendAsync(6);
        await TamperDeleteAsync(3);
        AssertBroken(await AuditChain.VerifyAsync(Store.Audit), 3, "missing");
    }

    [Fact]
    public async Task A_deleted_last_entry_shortens_the_chain_visibly()
    {
        var entries = await AppendAsync(4);
        await TamperDeleteAsync(4);

        // The chain itself is intact; only its last hash, kept elsewhere, tells the entry is gone.
        var verification = await AuditChain.VerifyAsync(Store.Audit);
        Assert.True(verification.IsIntact);
        Assert.NotEqual(entries[3].Hash, verification.LastHash);
        Assert.Equal(entries[2].Hash, verification.LastHash);
    }

    [Fact]
    public async Task An_inserted_entry_is_found_even_when_its_own_hash_is_right()
    {
        var entries = await AppendAsync(6);

        // A forger who knows the algorithm chains the entry onto entry 2; entry 3 (now 4) no longer links.
        var forged = AuditChain.Chain(entries[1], new AuditEntryDraft("forger", "report.delete", "report/x", null, null), entries[1].At);
        await TamperInsertAsync(forged);
        AssertBroken(await AuditChain.VerifyAsync(Store.Audit), 4, "does not link");
    }

    [Fact]
    public async Task An_appended_entry_with_a_made_up_hash_is_found()
    {
        var entries = await AppendAsync(3);
        var forged = AuditChain.Chain(entries[2], Draft(99), Time.GetUtcNow()) with { Hash = new string('a', 64) };
        await TamperInsertAsync(forged);
        AssertBroken(await AuditChain.VerifyAsync(Store.Audit), 4, "edited");
    }

    [Fact]
    public async Task Swapped_entries_are_found()
    {
        await AppendAsync(6);
        await TamperSwapAsync(2, 3);
        AssertBroken(await AuditChain.VerifyAsync(Store.Audit), 2, "does not link");
    }

    private static AuditEntryDraft Draft(int i) =>
        new($"key-{i}", "media.read", $"file/{i}", i % 2 == 0 ? $$"""{"n":{{i}}}""" : null, i % 3 == 0 ? null : "198.51.100." + i);

    private async Task<List<AuditEntry>> AppendAsync(int count)
    {
        var entries = new List<AuditEntry>();
        for (var i = 1; i <= count; i++)
        {
            entries.Add(await Store.Audit.AppendAsync(Draft(i)));
            Time.Advance(TimeSpan.FromSeconds(1));
        }

        return entries;
    }

    private static void AssertBroken(AuditVerification verification, long sequence, string problem)
    {
        Assert.False(verification.IsIntact);
        Assert.Equal(sequence, verification.BrokenAtSequence);
        Assert.Contains(problem, verification.Problem, StringComparison.Ordinal);
    }
}
