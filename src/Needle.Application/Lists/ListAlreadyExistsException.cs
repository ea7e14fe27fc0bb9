namespace Needle.Application.Lists;

/// <summary>A list with this name exists already.</summary>
/// <param name="name">The name asked for.</param>
public sealed class ListAlreadyExistsException(string name)
    : InvalidOperationException($"A list named '{name}' exists already.")
{
    /// <summary>The name asked for.</summary>
    public string ListName { get; } = name;
}
