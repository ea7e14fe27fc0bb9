using Needle.Core.Audit;
using Needle.Core.Lists;
using Needle.Core.Storage;
using Needle.Matching.Lists;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IListStore"/>.</summary>
public abstract class ListStoreContract : StoreContract
{
    private StoredList KnownList(string name = "vics") => new(name, HashListKind.Known, 31, 1800.5, Time.GetUtcNow());

    [Fact]
    public async Task Lists_are_created_once_read_back_and_deleted()
    {
        Assert.Empty(await Store.Lists.GetListsAsync());
        var known = KnownList();
        var allow = new StoredList("false-positives", HashListKind.Allow, null, null, Time.GetUtcNow().AddTicks(3));
        Assert.True(await Store.Lists.CreateListAsync(known, TestData.AdminAudit("list.create")));
        Assert.True(await Store.Lists.CreateListAsync(allow, TestData.AdminAudit("list.create")));
        Assert.False(await Store.Lists.CreateListAsync(known with { Kind = HashListKind.Allow }, TestData.AdminAudit("list.create")));

        var lists = await Store.Lists.GetListsAsync();
        Assert.Equal([allow, known], lists.OrderBy(l => l.Name, StringComparer.Ordinal));

        await Store.Lists.AddEntriesAsync("vics", [new HashListEntry(SignalTypes.Md5, new string('a', 32))], TestData.EntriesAudit);
        Assert.True(await Store.Lists.DeleteListAsync("vics", TestData.AdminAudit("list.delete")));
        Assert.False(await Store.Lists.DeleteListAsync("vics", TestData.AdminAudit("list.delete")));
        Assert.Equal([allow], await Store.Lists.GetListsAsync());

        // A list made again under the same name starts empty.
        Assert.True(await Store.Lists.CreateListAsync(known, TestData.AdminAudit("list.create")));
        Assert.Empty(await Store.Lists.GetEntriesAsync("vics"));
    }

    [Fact]
    public async Task Entries_get_ids_and_round_trip_every_field()
    {
        await Store.Lists.CreateListAsync(KnownList(), TestData.AdminAudit("list.create"));
        HashListEntry[] entries =
        [
            new(SignalTypes.Pdq, new string('F', 64)) { Id = 999, Label = "MediaID-1", Category = "1", Source = "vics.json", Metadata = new Dictionary<string, string> { ["Series"] = "x", ["victimIdentified"] = "false" } },
            new(SignalTypes.Md5, new string('b', 32)) { Enabled = false },
            new(SignalTypes.Sha256, new string('c', 64)) { Label = "ünïcode" },
            new(SignalTypes.PhotoDna, Convert.ToBase64String(Enumerable.Range(0, 144).Select(i => (byte)i).ToArray())),
        ];

        var added = await Store.Lists.AddEntriesAsync("vics", entries, TestData.EntriesAudit);
        Assert.Equal([1, 2, 3, 4], added.Select(e => e.Id));
        var more = await Store.Lists.AddEntriesAsync("vics", [new HashListEntry(SignalTypes.Sha1, new string('d', 40))], TestData.EntriesAudit);
        Assert.Equal(5, Assert.Single(more).Id);

        var stored = await Store.Lists.GetEntriesAsync("vics");
        Assert.Equal(5, stored.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            AssertSameEntry(added[i], stored[i]);
            Assert.Equal(entries[i].Value, stored[i].Value);
        }

        Assert.Equal(new string('f', 64), stored[0].Value);
        Assert.Equal("x", stored[0].Metadata["Series"]);
        Assert.Equal("false", stored[0].Metadata["victimIdentified"]);
        Assert.Empty(stored[1].Metadata);
        Assert.False(stored[1].Enabled);
    }

    [Fact]
    public async Task Entries_are_enabled_disabled_and_removed_and_ids_are_never_reused()
    {
        await Store.Lists.CreateListAsync(KnownList(), TestData.AdminAudit("list.create"));
        await Store.Lists.CreateListAsync(KnownList("other"), TestData.AdminAudit("list.create"));
        var added = await Store.Lists.AddEntriesAsync("vics", [new HashListEntry(SignalTypes.Md5, new string('a', 32)), new HashListEntry(SignalTypes.Md5, new string('b', 32))], TestData.EntriesAudit);
        var otherAdded = await Store.Lists.AddEntriesAsync("other", [new HashListEntry(SignalTypes.Md5, new string('a', 32))], TestData.EntriesAudit);
        Assert.Equal(1, otherAdded[0].Id);

        Assert.True(await Store.Lists.SetEntryEnabledAsync("vics", added[0].Id, false, TestData.AdminAudit("list.entry.enable")));
        Assert.False((await Store.Lists.GetEntriesAsync("vics"))[0].Enabled);
        Assert.True(await Store.Lists.SetEntryEnabledAsync("vics", added[0].Id, true, TestData.AdminAudit("list.entry.enable")));
        Assert.True((await Store.Lists.GetEntriesAsync("vics"))[0].Enabled);
        Assert.False(await Store.Lists.SetEntryEnabledAsync("vics", 42, false, TestData.AdminAudit("list.entry.enable")));
        Assert.False(await Store.Lists.SetEntryEnabledAsync("missing", 1, false, TestData.AdminAudit("list.entry.enable")));

        Assert.True(await Store.Lists.RemoveEntryAsync("vics", added[1].Id, TestData.AdminAudit("list.entry.remove")));
        Assert.False(await Store.Lists.RemoveEntryAsync("vics", added[1].Id, TestData.AdminAudit("list.entry.remove")));
        Assert.False(await Store.Lists.RemoveEntryAsync("missing", 1, TestData.AdminAudit("list.entry.remove")));
        Assert.Equal([added[0].Id], (await Store.Lists.GetEntriesAsync("vics")).Select(e => e.Id));
        Assert.Single(await Store.Lists.GetEntriesAsync("other"));

        var again = await Store.Lists.AddEntriesAsync("vics", [new HashListEntry(SignalTypes.Md5, new string('b', 32))], TestData.EntriesAudit);
        Assert.Equal(3, again[0].Id);
    }

    [Fact]
    public async Task A_missing_list_has_no_entries_to_read_or_add()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Lists.GetEntriesAsync("missing"));
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Lists.AddEntriesAsync("missing", [new HashListEntry(SignalTypes.Md5, new string('a', 32))], TestData.EntriesAudit));
    }

    [Fact]
    public async Task Each_change_is_audited_in_its_transaction_and_only_when_something_changed()
    {
        Assert.True(await Store.Lists.CreateListAsync(KnownList(), TestData.AdminAudit("list.create", "list/vics")));
        Assert.False(await Store.Lists.CreateListAsync(KnownList(), TestData.AdminAudit("list.create", "list/taken")));
        var added = await Store.Lists.AddEntriesAsync("vics", [new HashListEntry(SignalTypes.Md5, new string('a', 32)), new HashListEntry(SignalTypes.Md5, new string('b', 32))], TestData.EntriesAudit);
        Assert.Empty(await Store.Lists.AddEntriesAsync("vics", [], _ => TestData.AdminAudit("list.entries.add", "list/empty")));
        Assert.True(await Store.Lists.SetEntryEnabledAsync("vics", added[0].Id, false, TestData.AdminAudit("list.entry.disable", "list/vics/1")));
        Assert.False(await Store.Lists.SetEntryEnabledAsync("vics", 42, false, TestData.AdminAudit("list.entry.disable", "list/vics/42")));
        Assert.False(await Store.Lists.SetEntryEnabledAsync("missing", 1, false, TestData.AdminAudit("list.entry.disable", "list/missing/1")));
        Assert.True(await Store.Lists.RemoveEntryAsync("vics", added[1].Id, TestData.AdminAudit("list.entry.remove", "list/vics/2")));
        Assert.False(await Store.Lists.RemoveEntryAsync("vics", added[1].Id, TestData.AdminAudit("list.entry.remove", "list/vics/2-again")));
        Assert.True(await Store.Lists.DeleteListAsync("vics", TestData.AdminAudit("list.delete", "list/vics")));
        Assert.False(await Store.Lists.DeleteListAsync("vics", TestData.AdminAudit("list.delete", "list/vics-again")));

        var audit = await Store.Audit.ReadAsync(0, 100);
        Assert.Equal(
            [("list.create", "list/vics"), ("list.entries.add", "list/t"), ("list.entry.disable", "list/vics/1"), ("list.entry.remove", "list/vics/2"), ("list.delete", "list/vics")],
            audit.Select(e => (e.Action, e.Target)));
        Assert.All(audit, e => Assert.Equal(("admin-key", "192.0.2.1"), (e.Actor, e.RemoteAddress)));
        Assert.Equal("""{"count":2,"ids":[1,2]}""", audit[1].Details);
        Assert.Equal([1L, 2, 3, 4, 5], audit.Select(e => e.Sequence));
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
    }

    [Fact]
    public async Task A_failed_change_writes_no_audit_entry_and_a_failed_audit_no_change()
    {
        await Assert.ThrowsAsync<KeyNotFoundException>(() => Store.Lists.AddEntriesAsync("missing", [new HashListEntry(SignalTypes.Md5, new string('a', 32))], TestData.EntriesAudit));
        Assert.Empty(await Store.Audit.ReadAsync(0, 100));

        // The audit entry is written with the change or not at all: when it cannot be made, the entries are not added either.
        await Store.Lists.CreateListAsync(KnownList(), TestData.AdminAudit("list.create", "list/vics"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.Lists.AddEntriesAsync(
            "vics", [new HashListEntry(SignalTypes.Md5, new string('a', 32))], _ => throw new InvalidOperationException("no audit")));
        Assert.Empty(await Store.Lists.GetEntriesAsync("vics"));
        Assert.Equal("list.create", Assert.Single(await Store.Audit.ReadAsync(0, 100)).Action);

        // Nor did the failed import use up entry ids.
        var added = await Store.Lists.AddEntriesAsync("vics", [new HashListEntry(SignalTypes.Md5, new string('a', 32))], TestData.EntriesAudit);
        Assert.Equal(1, Assert.Single(added).Id);
        Assert.Equal(2, (await Store.Audit.ReadAsync(0, 100)).Count);
    }

    [Fact]
    public async Task Imported_rows_keep_every_text_byte_for_byte_and_null_apart_from_empty()
    {
        // The bulk path writes the rows' UTF-8 bytes as they are: non-ASCII, characters JSON escapes, empty texts
        // (not null), absent ones (null), and texts larger than the writer's scratch buffers, many rows in a row so
        // the buffers are reused and wrap.
        await Store.Lists.CreateListAsync(KnownList(), TestData.AdminAudit("list.create"));
        var entries = new List<HashListEntry>();
        for (var i = 0; i < 300; i++)
        {
            var value = Convert.ToHexStringLower(TestData.RandomBytes(16));
            entries.Add((i % 5) switch
            {
                0 => new HashListEntry(SignalTypes.Md5, value) { Label = "Ünïcödé 標籤 😀 " + i, Category = "카테고리", Source = "source/\\\"quoted\"\t" },
                1 => new HashListEntry(SignalTypes.Md5, value) { Label = string.Empty, Category = string.Empty, Source = null, Enabled = false },
                2 => new HashListEntry(SignalTypes.Md5, value)
                {
                    Label = new string('x', 5_000) + i,
                    Metadata = new Dictionary<string, string> { ["long"] = new string('é', 9_000), ["ключ"] = "значение \"\\\n\u0001 😀", ["empty"] = string.Empty },
                },
                3 => new HashListEntry(SignalTypes.Md5, value) { Metadata = new Dictionary<string, string> { ["<tag>"] = "&amp; 'single'" } },
                _ => new HashListEntry(SignalTypes.Md5, value),
            });
        }

        var outcome = await Store.Lists.ImportEntriesAsync(
            "vics",
            null,
            add =>
            {
                foreach (var entry in entries)
                {
                    add(entry);
                }
            },
            _ => TestData.AdminAudit("list.import"),
            null,
            100,
            null);
        Assert.Equal(entries.Count, outcome.Count);

        var stored = await Store.Lists.GetEntriesAsync("vics");
        Assert.Equal(entries.Count, stored.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            AssertSameEntry(entries[i] with { Id = outcome.FirstEntryId + i }, stored[i]);
        }
    }

    private static void AssertSameEntry(HashListEntry expected, HashListEntry actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Same(expected.SignalType, actual.SignalType);
        Assert.Equal(expected.Value, actual.Value);
        Assert.Equal(expected.Label, actual.Label);
        Assert.Equal(expected.Category, actual.Category);
        Assert.Equal(expected.Source, actual.Source);
        Assert.Equal(expected.Enabled, actual.Enabled);
        Assert.Equal(expected.Metadata.OrderBy(p => p.Key), actual.Metadata.OrderBy(p => p.Key));
    }
}
