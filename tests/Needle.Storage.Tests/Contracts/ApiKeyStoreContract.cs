using Needle.Triage;

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
        await Store.Keys.CreateAsync(admin);
        await Store.Keys.CreateAsync(submitter);
        await Store.Keys.CreateAsync(auditor);

        AssertSameKey(submitter, await Store.Keys.FindAsync(submitter.Id));
        Assert.Null(await Store.Keys.FindAsync(Guid.NewGuid()));
        Assert.Equal(3, await Store.Keys.CountAsync());
        var listed = await Store.Keys.ListAsync();
        Assert.Equal(3, listed.Count);
        AssertSameKey(admin, listed.Single(k => k.Id == admin.Id));
        AssertSameKey(auditor, listed.Single(k => k.Id == auditor.Id));

        var revokedAt = Time.GetUtcNow().AddHours(1);
        Assert.True(await Store.Keys.RevokeAsync(submitter.Id, revokedAt));
        Assert.False(await Store.Keys.RevokeAsync(submitter.Id, revokedAt.AddHours(1)));
        Assert.False(await Store.Keys.RevokeAsync(auditor.Id, revokedAt));
        Assert.False(await Store.Keys.RevokeAsync(Guid.NewGuid(), revokedAt));
        Assert.Equal(revokedAt, (await Store.Keys.FindAsync(submitter.Id))!.RevokedAt);
        Assert.Equal(3, await Store.Keys.CountAsync());
    }

    [Fact]
    public async Task A_key_id_is_unique()
    {
        var key = new ApiKeyRecord(Guid.NewGuid(), "k", ApiRole.Reviewer, [1, 2], [3, 4], Time.GetUtcNow(), null, null);
        await Store.Keys.CreateAsync(key);
        await Assert.ThrowsAnyAsync<Exception>(() => Store.Keys.CreateAsync(key with { Name = "other" }));
        Assert.Equal("k", (await Store.Keys.FindAsync(key.Id))!.Name);
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
