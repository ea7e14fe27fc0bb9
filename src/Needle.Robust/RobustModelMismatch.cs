namespace Needle.Robust;

/// <summary>
/// A list holds robust entries made by another model than the one in use: descriptors of different models are not
/// comparable, so those entries are skipped (never matched). Reported once per list.
/// </summary>
/// <param name="ListName">The list.</param>
/// <param name="ListModelId">The identity of the model its skipped entries were made with.</param>
/// <param name="ModelId">The identity of the model in use.</param>
public sealed record RobustModelMismatch(string ListName, string ListModelId, string ModelId)
{
    /// <summary>The warning to show: the list, both models, and what to do.</summary>
    public string Message =>
        $"list '{ListName}' holds robust entries made by model {ListModelId}, not by the model in use ({ModelId}): they are skipped; build the list again with this model (needle list build --robust-model) to match them";
}
