namespace Needle.Core.Lists;

/// <summary>The names of <see cref="ListChangeKind"/> in the stores' change log (the <c>change</c> column).</summary>
public static class ListChanges
{
    public const string Created = "list.create";
    public const string Deleted = "list.delete";
    public const string Entries = "entries";

    public static ListChangeKind Parse(string change) => change switch
    {
        Created => ListChangeKind.ListCreated,
        Deleted => ListChangeKind.ListDeleted,
        Entries => ListChangeKind.EntriesChanged,
        _ => throw new InvalidDataException($"The list change log holds the unknown change '{change}'."),
    };
}
