namespace Needle.Core.Lists;

/// <summary>The names of <see cref="ListChangeKind"/> in the stores' change log (the <c>change</c> column).</summary>
public static class ListChanges
{
    /// <summary><see cref="ListChangeKind.ListCreated"/>.</summary>
    public const string Created = "list.create";
    /// <summary><see cref="ListChangeKind.ListDeleted"/>.</summary>
    public const string Deleted = "list.delete";
    /// <summary><see cref="ListChangeKind.EntriesChanged"/>.</summary>
    public const string Entries = "entries";

    /// <summary>The kind a stored name stands for.</summary>
    /// <exception cref="InvalidDataException">The name is none of the above.</exception>
    public static ListChangeKind Parse(string change) => change switch
    {
        Created => ListChangeKind.ListCreated,
        Deleted => ListChangeKind.ListDeleted,
        Entries => ListChangeKind.EntriesChanged,
        _ => throw new InvalidDataException($"The list change log holds the unknown change '{change}'."),
    };
}
