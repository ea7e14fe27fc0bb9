namespace Needle.Robust;

/// <summary>Which ONNX model computes the global descriptor, and how its input is prepared.</summary>
public sealed record RobustModelOptions
{
    /// <summary>The default model, relative to the application's folder (copied there by the build).</summary>
    public const string DefaultModelFile = "DnnImageModels/ResNet18Onnx/ResNet18.onnx";

    /// <summary>The default model's preprocessing model, relative to the application's folder.</summary>
    public const string DefaultPreprocessFile = "DnnImageModels/ResNetPrepOnnx/ResNetPreprocess.onnx";

    /// <summary>
    /// The model: input float [1,3,H,W] (RGB planes), output N floats (e.g. [1,512,1,1]). Default: the ImageNet ResNet18
    /// shipped next to the binaries. Any model of that shape plugs in by path (an SSCD copy-detection export, say).
    /// </summary>
    public string ModelPath { get; init; } = Path.Combine(AppContext.BaseDirectory, DefaultModelFile);

    /// <summary>
    /// A model run first on the raw 0..255 RGB planes (the default model's own preprocessing); null to normalise with
    /// ImageNet's mean and deviation instead, as most exports expect.
    /// </summary>
    public string? PreprocessPath { get; init; } = Path.Combine(AppContext.BaseDirectory, DefaultPreprocessFile);

    /// <summary>Threads ONNX Runtime uses inside one inference. Default 1: callers run one inference per core.</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>
    /// Where ONNX Runtime's optimised graph of the model is kept between processes (it then loads in about half the
    /// CPU time; checked against the model, the runtime and the CPU, rebuilt when stale or damaged); null or empty: no
    /// cache. Default <see cref="DefaultCacheDirectory"/>.
    /// </summary>
    public string? CacheDirectory { get; init; } = DefaultCacheDirectory;

    /// <summary>Told what the optimised-graph cache did (see <see cref="ImageDescriptorModel.CacheOutcome"/>), once, when the model loads.</summary>
    public Action<string>? CacheReport { get; init; }

    /// <summary><c>$XDG_CACHE_HOME/needle</c>, else <c>~/.cache/needle</c>; null when neither is known.</summary>
    public static string? DefaultCacheDirectory
    {
        get
        {
            if (Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache && Path.IsPathRooted(cache))
            {
                return Path.Combine(cache, "needle");
            }

            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return home.Length > 0 ? Path.Combine(home, ".cache", "needle") : null;
        }
    }

    /// <summary>Options for a model given by path: no preprocessing model unless <paramref name="preprocessPath"/> is given.</summary>
    public static RobustModelOptions ForModel(string modelPath, string? preprocessPath = null) =>
        new() { ModelPath = modelPath, PreprocessPath = preprocessPath };
}
