using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IApiKeyStore"/>.</summary>
public abstract class ApiKeyStoreContract : StoreContract
{
    [Fact]
    public async Task Keys_are_created_found_listed_and_revoked_once()
    {
        Assert.Equal(0, await Store.Keys.CountAsync());
        var admin = new ApiKeyRecord(Guid.NewGuid(), "bootstrap admin", ApiRole.Admin, TestData.RandomBytes(16), TestData.RandomBytes(32), Time.GetUtcNow(), null, null);
        var submitter = new ApiKeyRecord(Guid.NewGuid(), "platform", ApiRole.Submitter, TestData.RandomBytes(16), TestData.RandomBytes(32), Time.GetUtcNow().AddSeconds(1), Time.GetUtcNow().AddDays(90), null);
        var auditor = new ApiKeyRecord(Guid.NewGuid(), "auditor", ApiRole.Auditor, TestData.RandomBytes(16), TestData.RandomBytes(32), Time.GetUtcNow().AddSeconds(2), null, Time.GetUtcNow().AddSeconds(3));
        await Store.Keys.CreateAsync(admin, TestData.AdminAudit("key.create"));
        await Store.Keys.CreateAsync(submitter, TestData.AdminAudit("key.create"));
        await Store.Keys.CreateAsync(auditor, TestData.AdminAudit("key.create"));

        AssertSameKey(submitter, await Store.Keys.FindAsync(submitter.Id));
        Assert.Null(await Store.Keys.FindAsync(Guid.NewGuid()));
        Assert.Equal(3, await Store.Keys.CountAsync());
        var listed = await Store.Keys.ListAsync();
        Assert.Equal(3, listed.Count);
        AssertSameKey(admin, listed.Single(k => k.Id == admin.Id));
        AssertSameKey(auditor, listed.Single(k => k.Id == auditor.Id));

        var revokedAt = Time.GetUtcNow().AddHours(1);
        Assert.True(await Store.Keys.RevokeAsync(submitter.Id, revokedAt, TestData.AdminAudit("key.revoke")));
        Assert.False(await Store.Keys.RevokeAsync(submitter.Id, revokedAt.AddHours(1), TestData.AdminAudit("key.revoke")));
        Assert.False(await Store.Keys.RevokeAsync(auditor.Id, revokedAt, TestData.AdminAudit("key.revoke")));
        Assert.False(await Store.Keys.RevokeAsync(Guid.NewGuid(), revokedAt, TestData.AdminAudit("key.revoke")));
        Assert.Equal(revokedAt, (await Store.Keys.FindAsync(submitter.Id))!.RevokedAt);
        Assert.Equal(3, await Store.Keys.CountAsync());
    }

    [Fact]
    public async Task A_key_id_is_unique()
    {
        var key = new ApiKeyRecord(Guid.NewGuid(), "k", ApiRole.Reviewer, [1, 2], [3, 4], Time.GetUtcNow(), null, null);
        await Store.Keys.CreateAsync(key, TestData.AdminAudit("key.create"));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.Keys.CreateAsync(key with { Name = "other" }, TestData.AdminAudit("key.create")));
        Assert.Equal("k", (await Store.Keys.FindAsync(key.Id))!.Name);
    }

    [Fact]
    public async Task Creating_and_revoking_are_audited_in_their_transaction_and_only_when_something_changed()
    {
        var key = new ApiKeyRecord(Guid.NewGuid(), "k", ApiRole.Reviewer, [1, 2], [3, 4], Time.GetUtcNow(), null, null);
        await Store.Keys.CreateAsync(key, TestData.AdminAudit("key.create", $"key/{key.Id:N}", """{"name":"k"}"""));
        await Assert.ThrowsAnyAsync<Exception>(() => Store.Keys.CreateAsync(key with { Name = "other" }, TestData.AdminAudit("key.create", "key/duplicate")));
        Assert.True(await Store.Keys.RevokeAsync(key.Id, Time.GetUtcNow(), TestData.AdminAudit("key.revoke", $"key/{key.Id:N}")));
        Assert.False(await Store.Keys.RevokeAsync(key.Id, Time.GetUtcNow(), TestData.AdminAudit("key.revoke", "key/again")));
        Assert.False(await Store.Keys.RevokeAsync(Guid.NewGuid(), Time.GetUtcNow(), TestData.AdminAudit("key.revoke", "key/missing")));

        var audit = await Store.Audit.ReadAsync(0, 100);
        Assert.Equal([("key.create", $"key/{key.Id:N}"), ("key.revoke", $"key/{key.Id:N}")], audit.Select(e => (e.Action, e.Target)));
        Assert.Equal("""{"name":"k"}""", audit[0].Details);
        Assert.All(audit, e => Assert.Equal(("admin-key", "192.0.2.1"), (e.Actor, e.RemoteAddress)));
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }

    private static void AssertSameKey(ApiKeyRecord expected, ApiKeyRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.Role, actual.Role);
        Assert.Equal(expected.Salt, actual.Salt);
        Assert.Equal(expected.SecretHash, actual.SecretHash);
        Assert.Equal(expected.CreatedAt, actual.CreatedAt);
        Assert.Equal(expected.ExpiresAt, actual.ExpiresAt);
        Assert.Equal(expected.RevokedAt, actual.RevokedAt);
    }
}
