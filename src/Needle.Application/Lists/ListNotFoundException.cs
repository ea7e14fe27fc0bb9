namespace Needle.Application.Lists;

/// <summary>No list has this name.</summary>
/// <param name="name">The name looked for.</param>
public sealed class ListNotFoundException(string name)
    : KeyNotFoundException($"There is no list named '{name}'.")
{
    /// <summary>The name looked for.</summary>
    public string ListName { get; } = name;
}
