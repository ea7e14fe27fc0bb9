using System.Reflection;
using Needle.Core.Lists;
using Needle.Core.Storage;

namespace Needle.Application.Tests;

/// <summary>
/// A real list store seen through a proxy that counts the entries its change-log reads return (every other call goes
/// straight through): what a node reads back from the store while it catches up.
/// </summary>
public class ChangeReadCounter : DispatchProxy
{
    private IListStore _store = null!;
    private long _entriesRead;

    /// <summary>Entries the change-log reads returned so far.</summary>
    public long EntriesRead => Interlocked.Read(ref _entriesRead);

    /// <summary>The store and its counter.</summary>
    public static (IListStore Store, ChangeReadCounter Counter) Wrap(IListStore store)
    {
        var proxy = Create<IListStore, ChangeReadCounter>();
        var counter = (ChangeReadCounter)(object)proxy;
        counter._store = store;
        return (proxy, counter);
    }

    /// <inheritdoc />
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        object? result;
        try
        {
            result = targetMethod.Invoke(_store, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            throw ex.InnerException;
        }

        return targetMethod.Name == nameof(IListStore.ReadChangesAsync) && result is Task<IReadOnlyList<ListChange>> read ? CountAsync(read) : result;
    }

    private async Task<IReadOnlyList<ListChange>> CountAsync(Task<IReadOnlyList<ListChange>> read)
    {
        var changes = await read.ConfigureAwait(false);
        foreach (var change in changes)
        {
            Interlocked.Add(ref _entriesRead, change.Entries.Count);
        }

        return changes;
    }
}
