using Needle.Application.Access;
using Needle.Core.Access;
using Needle.Testing.Postgres;

namespace Needle.Application.Tests;

public abstract class ApiKeyServiceTests(StoreBackend backend) : StoreBackedTests(backend)
{
    [Fact]
    public async Task CreatedKeyAuthenticates()
    {
        await using var t = await CreateStoreAsync();
        var service = new ApiKeyService(t.Store.Keys, t.Time);

        var created = await service.CreateAsync("intake bot", ApiRole.Submitter, null, "cli");

        Assert.Matches("^ndl_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$", created.Key);
        var record = await service.AuthenticateAsync(created.Key);
        Assert.NotNull(record);
        Assert.Equal(created.Record.Id, record.Id);
        Assert.Equal(ApiRole.Submitter, record.Role);
        Assert.Equal("intake bot", record.Name);
        Assert.True(ApiKeyService.TryGetKeyId(created.Key, out var id));
        Assert.Equal(created.Record.Id, id);
    }

    [Fact]
    public async Task WrongSecretOrMalformedKeysAreRefused()
    {
        await using var t = await CreateStoreAsync();
        var service = new ApiKeyService(t.Store.Keys, t.Time);
        var created = await service.CreateAsync("k", ApiRole.Admin, null, "cli");
        var key = created.Key;
        var other = await service.CreateAsync("other", ApiRole.Admin, null, "cli");

        // The secret's last character changed (to one that still decodes to 32 bytes).
        var wrongSecret = key[..^2] + (key[^2] == 'A' ? 'B' : 'A') + key[^1];
        // Right id, another key's secret.
        var swapped = key[..37] + other.Key[37..];

        string[] refused =
        [
            wrongSecret, swapped, "", "ndl_", "nope", key + "x", key[..^1], key.ToUpperInvariant(),
            key.Replace("ndl_", "abc_", StringComparison.Ordinal), key[..36] + "-" + key[37..],
            "ndl_" + Guid.NewGuid().ToString("N") + key[36..], // unknown id
        ];
        foreach (var text in refused)
        {
            Assert.Null(await service.AuthenticateAsync(text));
        }

        Assert.NotNull(await service.AuthenticateAsync(key));
    }

    [Fact]
    public async Task RevokedKeysAreRefused()
    {
        await using var t = await CreateStoreAsync();
        var service = new ApiKeyService(t.Store.Keys, t.Time);
        var created = await service.CreateAsync("k", ApiRole.Reviewer, null, "admin-key");

        Assert.True(await service.RevokeAsync(created.Record.Id, "admin-key"));
        Assert.Null(await service.AuthenticateAsync(created.Key));
        Assert.False(await service.RevokeAsync(created.Record.Id, "admin-key"));
        Assert.False(await service.RevokeAsync(Guid.NewGuid(), "admin-key"));

        var revokes = (await t.AuditEntriesAsync()).Where(static e => e.Action == "key.revoke").ToList();
        Assert.Single(revokes);
        Assert.Contains(created.Record.Id.ToString("N"), revokes[0].Target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredKeysAreRefused()
    {
        await using var t = await CreateStoreAsync();
        var service = new ApiKeyService(t.Store.Keys, t.Time);
        var created = await service.CreateAsync("k", ApiRole.Submitter, t.Time.GetUtcNow().AddHours(1), "cli");

        t.Time.Advance(TimeSpan.FromMinutes(59));
        Assert.NotNull(await service.AuthenticateAsync(created.Key));
        t.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(await service.AuthenticateAsync(created.Key));

        await Assert.ThrowsAsync<ArgumentException>(() => service.CreateAsync("k2", ApiRole.Submitter, t.Time.GetUtcNow(), "cli"));
    }

    [Fact]
    public async Task NothingStoredOrAuditedHoldsTheSecret()
    {
        await using var t = await CreateStoreAsync();
        var service = new ApiKeyService(t.Store.Keys, t.Time);
        var created = await service.CreateAsync("k", ApiRole.Auditor, null, "cli");
        var secretText = created.Key[37..];
        var secret = Convert.FromBase64String(secretText.Replace('-', '+').Replace('_', '/') + "=");

        var stored = await t.Store.Keys.FindAsync(created.Record.Id);
        Assert.NotNull(stored);
        Assert.Equal(16, stored.Salt.Length);
        Assert.Equal(32, stored.SecretHash.Length);
        Assert.NotEqual(secret, stored.SecretHash);
        Assert.Equal(ApiKeyService.HashSecret(stored.Salt, secret), stored.SecretHash);
        Assert.DoesNotContain(secretText, stored.ToString(), StringComparison.Ordinal);

        var audit = await t.AuditEntriesAsync();
        var create = Assert.Single(audit, static e => e.Action == "key.create");
        Assert.Equal("cli", create.Actor);
        Assert.DoesNotContain(secretText, create.Details ?? "", StringComparison.Ordinal);
        Assert.DoesNotContain(created.Key, create.Target, StringComparison.Ordinal);
    }
}

public sealed class ApiKeyServiceTests_on_Sqlite() : ApiKeyServiceTests(StoreBackend.Sqlite);

[Collection(PostgresCollection.Name)]
public sealed class ApiKeyServiceTests_on_Postgres(PostgresServer server) : ApiKeyServiceTests(StoreBackend.Postgres(server));
