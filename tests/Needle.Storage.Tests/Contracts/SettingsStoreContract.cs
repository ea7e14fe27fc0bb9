using Needle.Core.Audit;
using Needle.Core.Storage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="ISettingsStore"/>.</summary>
public abstract class SettingsStoreContract : StoreContract
{
    [Fact]
    public async Task Settings_are_replaced_whole_and_audited()
    {
        Assert.Null(await Store.Settings.GetSettingsAsync("org"));
        await Store.Settings.SetSettingsAsync("org", """{"weights":{"escalated":100}}""", TestData.AdminAudit("settings.set", "settings/org"));
        await Store.Settings.SetSettingsAsync("user:alice", """{"pageSize":20}""", TestData.AdminAudit("settings.set", "settings/user:alice"));
        await Store.Settings.SetSettingsAsync("org", """{"weights":{"escalated":50}}""", TestData.AdminAudit("settings.set", "settings/org"));

        Assert.Equal("""{"weights":{"escalated":50}}""", await Store.Settings.GetSettingsAsync("org"));
        Assert.Equal("""{"pageSize":20}""", await Store.Settings.GetSettingsAsync("user:alice"));
        Assert.Null(await Store.Settings.GetSettingsAsync("user:bob"));
        Assert.Equal(3, (await Store.Audit.ReadAsync(0, 100)).Count(e => e.Action == "settings.set"));
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }
}
