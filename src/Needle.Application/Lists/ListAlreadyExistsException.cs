namespace Needle.Application.Lists;

/// <summary>A list with this name exists already.</summary>
public sealed class ListAlreadyExistsException(string name)
    : InvalidOperationException($"A list named '{name}' exists already.")
{
    public string ListName { get; } = name;
}
