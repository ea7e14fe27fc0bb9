namespace Needle.Application.Lists;

/// <summary>No list has this name.</summary>
public sealed class ListNotFoundException(string name)
    : KeyNotFoundException($"There is no list named '{name}'.")
{
    public string ListName { get; } = name;
}
