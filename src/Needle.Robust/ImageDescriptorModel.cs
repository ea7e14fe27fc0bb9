using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using Needle.Hashing;

namespace Needle.Robust;

/// <summary>
/// Computes a picture's global descriptor with an ONNX model: the picture stretched to the model's input size, as RGB
/// planes, through the optional preprocessing model (or ImageNet normalisation), then L2-normalised. Make one per
/// process: construction only checks the model files (they exist and declare an ONNX graph of the right shape), and
/// the sessions (about 0.4 CPU-s and 300 MB for ResNet18) are created once, on the first <see cref="Describe"/>, so a
/// scan whose every file matches by hash never pays for them. <see cref="Describe"/> is safe to call from many threads at once.
/// </summary>
/// <remarks>
/// Cheap per call: one ONNX Runtime thread per call (callers run one picture per core), sequential execution, every
/// graph optimisation; the input and output tensors are buffers reused from a pool (no per-call tensor allocation); the
/// picture is resized by OpenCV in place; and a preprocessing model that only reorders channels and subtracts a mean
/// (the default model's) is folded into that loop in C# at load, after checking on probe inputs that it does just that.
/// </remarks>
public sealed class ImageDescriptorModel : IDisposable
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetDeviation = [0.229f, 0.224f, 0.225f];

    private readonly RobustModelOptions _options;
    private readonly string[] _modelInput;
    private readonly string[] _modelOutput;
    private readonly string[]? _preprocessInput;
    private readonly string[]? _preprocessOutput;
    private readonly long[] _inputShape;
    private readonly long[] _outputShape;
    private readonly long[] _preparedShape;
    private readonly int _height;
    private readonly int _width;
    private readonly Lazy<Sessions> _sessions;

    // Set before Loaded is raised: the lazy value is published only once its factory (which raises it) has returned.
    private volatile bool _loaded;
    private readonly Lazy<string> _modelId;
    private readonly Lazy<byte[]> _modelHash;
    private readonly ConcurrentBag<Scratch> _scratch = [];

    /// <summary>
    /// Checks the model (and its preprocessing model) without loading them: a missing file, or one that is not an ONNX
    /// model of input [1,3,H,W] and 8..4096 output values, is a <see cref="RobustStartupException"/> naming it.
    /// </summary>
    public ImageDescriptorModel(RobustModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var model = OnnxModelFile.Read(options.ModelPath);
        var (name, dimensions) = model.Inputs[0];
        _modelInput = [name];
        if (dimensions.Length != 4 || dimensions[1] != 3)
        {
            throw new RobustStartupException($"the robust model file '{options.ModelPath}' takes input [{string.Join(',', dimensions)}], not [1,3,height,width]");
        }

        _height = dimensions[2] > 0 ? (int)dimensions[2] : 224;
        _width = dimensions[3] > 0 ? (int)dimensions[3] : 224;
        _inputShape = [1, 3, _height, _width];
        var (outputName, output) = model.Outputs[0];
        _modelOutput = [outputName];
        _outputShape = new long[Math.Max(1, output.Length)];
        _outputShape[0] = 1;
        long dimension = 1;
        for (var i = 1; i < output.Length; i++)
        {
            _outputShape[i] = Math.Max(1, output[i]);
            dimension *= Math.Max(1, output[i]);
        }

        if (dimension is < 8 or > Needle.Matching.Lists.RobustFeatures.MaxDescriptorLength)
        {
            throw new RobustStartupException($"the robust model file '{options.ModelPath}' gives {dimension} values per picture; 8..4096 are supported");
        }

        Dimension = (int)dimension;
        _preparedShape = _inputShape;
        if (options.PreprocessPath is { } preprocessPath)
        {
            var preprocess = OnnxModelFile.Read(preprocessPath);
            _preprocessInput = [preprocess.Inputs[0].Name];
            var (preparedName, prepared) = preprocess.Outputs[0];
            _preprocessOutput = [preparedName];
            _preparedShape = [.. prepared.Select(d => Math.Max(1, d))];
            if (_preparedShape.Aggregate(1L, (a, b) => a * b) != 3L * _width * _height)
            {
                throw new RobustStartupException($"the preprocessing model file '{preprocessPath}' gives [{string.Join(',', prepared)}], not 3 x {_height} x {_width} values");
            }
        }

        _sessions = new Lazy<Sessions>(LoadSessions, LazyThreadSafetyMode.ExecutionAndPublication);
        _modelHash = new Lazy<byte[]>(
            () => _options.CacheDirectory is { Length: > 0 } directory
                ? OptimizedModelCache.ModelSha256(directory, _options.ModelPath, HashFile)
                : HashFile(_options.ModelPath),
            LazyThreadSafetyMode.ExecutionAndPublication);
        _modelId = new Lazy<string>(ComputeModelId, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>
    /// The model's identity, recorded with every descriptor it makes (descriptors of different models are not
    /// comparable): the SHA-256 of the model file, or, with a preprocessing model, the SHA-256 of the two files' SHA-256s
    /// (the same model with other preprocessing describes differently). Computed once, on first need (reading the
    /// files: about 0.05 s for ResNet18's 64 MB; with the cache, the SHA-256 recorded there while the file keeps its
    /// recorded length and checksum), so a run that never describes a picture or compares entries never pays.
    /// The default model's is <see cref="Needle.Matching.Lists.RobustFeatures.DefaultModelId"/>.
    /// </summary>
    public string ModelId => _modelId.Value;

    /// <summary>Raised once, on the thread that needed them, when the sessions have been created (the first <see cref="Describe"/>).</summary>
    public event EventHandler? Loaded;

    /// <summary>
    /// What the optimised-graph cache did when the sessions were created: <c>off</c>, <c>used PATH</c>, <c>built PATH</c>,
    /// <c>rebuilt PATH (reason)</c> (a stale or damaged cache file) or <c>not cached PATH (reason)</c>; null before.
    /// </summary>
    public string? CacheOutcome { get; private set; }

    /// <summary>Length of the descriptor (512 for ResNet18).</summary>
    public int Dimension { get; }

    /// <summary>Whether the sessions exist: false until the first <see cref="Describe"/> (or <see cref="Load"/>).</summary>
    public bool IsLoaded => _loaded || _sessions.IsValueCreated;

    /// <summary>Whether the preprocessing model was folded into the C# preparation (true for the default model). Loads the sessions.</summary>
    public bool PreprocessFolded => _sessions.Value.Preprocess is null;

    /// <summary>
    /// Creates the sessions now if no call has yet (once per instance, whichever thread comes first; the others wait).
    /// A file that passed the start-up check but that ONNX Runtime cannot load is a <see cref="RobustStartupException"/> naming it.
    /// </summary>
    public void Load() => _ = _sessions.Value;

    /// <summary>The L2-normalised descriptor of <paramref name="image"/>.</summary>
    public float[] Describe(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var sessions = _sessions.Value;
        if (!_scratch.TryTake(out var scratch))
        {
            scratch = new Scratch(_inputShape, _outputShape, Dimension, sessions.Preprocess is null ? null : _preparedShape);
        }

        try
        {
            Prepare(sessions, image, scratch.Input);
            if (sessions.Preprocess is not null)
            {
                sessions.Preprocess.Run(scratch.RunOptions, _preprocessInput!, scratch.InputValue, _preprocessOutput!, scratch.PreparedValue!);
                sessions.Model.Run(scratch.RunOptions, _modelInput, scratch.PreparedInputValue!, _modelOutput, scratch.OutputValue);
            }
            else
            {
                sessions.Model.Run(scratch.RunOptions, _modelInput, scratch.InputValue, _modelOutput, scratch.OutputValue);
            }

            var descriptor = scratch.Output.AsSpan(0, Dimension).ToArray();
            DescriptorKernel.Normalize(descriptor);
            return descriptor;
        }
        finally
        {
            _scratch.Add(scratch);
        }
    }

    /// <summary>Releases the sessions (when they were created).</summary>
    public void Dispose()
    {
        if (_sessions.IsValueCreated)
        {
            _sessions.Value.Dispose();
        }

        while (_scratch.TryTake(out var scratch))
        {
            scratch.Dispose();
        }
    }

    private string ComputeModelId()
    {
        var model = _modelHash.Value;
        if (_options.PreprocessPath is not { } preprocessPath)
        {
            return Convert.ToHexStringLower(model);
        }

        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData([.. model, .. HashFile(preprocessPath)]));
    }

    private static byte[] HashFile(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return System.Security.Cryptography.SHA256.HashData(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RobustStartupException($"the robust model file '{path}' cannot be read ({e.Message})", e);
        }
    }

    private Sessions LoadSessions()
    {
        // Every robust path describes a picture first, so OpenCV (which preparing the picture uses) loads here too.
        OpenCvLibrary.Load();
        using var sessionOptions = new SessionOptions();
        Configure(sessionOptions);
        var model = OpenModel(sessionOptions);
        var plane = _width * _height;
        var sessions = new Sessions(model, new float[3 * plane]);
        try
        {
            if (_options.PreprocessPath is { } preprocessPath)
            {
                sessions.Preprocess = Open(preprocessPath, sessionOptions);
                if (TryFoldPreprocess(sessions))
                {
                    sessions.Preprocess.Dispose();
                    sessions.Preprocess = null;
                }
            }
            else
            {
                for (var c = 0; c < 3; c++)
                {
                    sessions.Gain[c] = 1 / (255f * ImageNetDeviation[c]);
                    sessions.Offset.AsSpan(c * plane, plane).Fill(ImageNetMean[c] / ImageNetDeviation[c]);
                }
            }
        }
        catch
        {
            sessions.Dispose();
            throw;
        }

        _loaded = true;
        Loaded?.Invoke(this, EventArgs.Empty);
        return sessions;
    }

    // The picture resized to the model's input (OpenCV, in place) and turned into normalised planes in one pass.
    private unsafe void Prepare(Sessions sessions, DecodedImage image, float[] input)
    {
        var plane = _width * _height;
        using var resized = PixelMats.Resize(image, _width, _height);
        var channels = (int)image.Layout;
        var pixels = new ReadOnlySpan<byte>((void*)resized.Data, plane * channels);
        for (var c = 0; c < 3; c++)
        {
            var source = channels == 3 ? sessions.SourceChannel[c] : 0;
            var gain = sessions.Gain[c];
            var offset = sessions.Offset.AsSpan(c * plane, plane);
            var target = input.AsSpan(c * plane, plane);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = (pixels[(i * channels) + source] * gain) - offset[i];
            }
        }
    }

    // Runs the preprocessing model on zeros (giving minus its mean) and on a probe pattern; when the probe comes out as
    // its own channels (in some order) minus that mean, the model is exactly a reorder and a subtraction, done in C#.
    private bool TryFoldPreprocess(Sessions sessions)
    {
        var plane = _width * _height;
        using var scratch = new Scratch(_inputShape, _preparedShape, 3 * plane, null);
        var input = _preprocessInput!;
        var output = _preprocessOutput!;
        sessions.Preprocess!.Run(scratch.RunOptions, input, scratch.InputValue, output, scratch.OutputValue);
        var zero = scratch.Output.ToArray();
        for (var k = 0; k < scratch.Input.Length; k++)
        {
            scratch.Input[k] = (k * 37) % 251;
        }

        sessions.Preprocess.Run(scratch.RunOptions, input, scratch.InputValue, output, scratch.OutputValue);
        foreach (int[] order in (int[][])[[0, 1, 2], [2, 1, 0]])
        {
            var fits = true;
            for (var c = 0; c < 3 && fits; c++)
            {
                for (var i = 0; i < plane && fits; i++)
                {
                    var expected = scratch.Input[(order[c] * plane) + i] + zero[(c * plane) + i];
                    fits = MathF.Abs(scratch.Output[(c * plane) + i] - expected) <= 1e-3f * Math.Max(1, MathF.Abs(expected));
                }
            }

            if (fits)
            {
                for (var c = 0; c < 3; c++)
                {
                    sessions.SourceChannel[c] = order[c];
                    sessions.Gain[c] = 1;
                }

                for (var k = 0; k < zero.Length; k++)
                {
                    sessions.Offset[k] = -zero[k];
                }

                return true;
            }
        }

        // Not a plain subtraction: the model runs on raw 0..255 planes every time.
        sessions.Gain.AsSpan().Fill(1);
        return false;
    }

    private void Configure(SessionOptions options)
    {
        options.IntraOpNumThreads = Math.Max(1, _options.IntraOpThreads);
        options.InterOpNumThreads = 1;
        options.ExecutionMode = ExecutionMode.ORT_SEQUENTIAL;
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL;
    }

    // The model's session with every graph optimisation; through the optimised-graph cache when one is configured
    // (the same graph, so the same descriptors, without optimising it again in every process).
    private InferenceSession OpenModel(SessionOptions sessionOptions)
    {
        if (_options.CacheDirectory is not { Length: > 0 } directory)
        {
            CacheOutcome = "off";
            return Open(_options.ModelPath, sessionOptions);
        }

        try
        {
            var (session, outcome) = OptimizedModelCache.Open(directory, _options.ModelPath, _modelHash.Value, Configure);
            CacheOutcome = outcome.ToString();
            _options.CacheReport?.Invoke(CacheOutcome);
            return session;
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            throw new RobustStartupException($"the robust model file '{_options.ModelPath}' could not be loaded: {e.Message}", e);
        }
    }

    private static InferenceSession Open(string path, SessionOptions options)
    {
        try
        {
            return new InferenceSession(path, options);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            throw new RobustStartupException($"the robust model file '{path}' could not be loaded: {e.Message}", e);
        }
    }

    // The loaded sessions and the fused preparation: input[c][i] = pixel[i][SourceChannel[c]] * Gain[c] - Offset[c * plane + i].
    private sealed class Sessions(InferenceSession model, float[] offset) : IDisposable
    {
        public InferenceSession Model { get; } = model;

        public InferenceSession? Preprocess { get; set; }

        public int[] SourceChannel { get; } = [0, 1, 2];

        public float[] Gain { get; } = new float[3];

        public float[] Offset { get; } = offset;

        public void Dispose()
        {
            Model.Dispose();
            Preprocess?.Dispose();
        }
    }

    // One caller's run options and tensors: managed buffers wrapped once as ONNX Runtime values (pinned for the values' lifetime).
    private sealed class Scratch : IDisposable
    {
        // The prepared planes (the preprocessing model's output) are one buffer seen in its output shape and in the model's input shape.
        public Scratch(long[] inputShape, long[] outputShape, int outputLength, long[]? preparedShape)
        {
            Input = new float[inputShape[1] * inputShape[2] * inputShape[3]];
            Output = new float[outputLength];
            InputValue = [OrtValue.CreateTensorValueFromMemory(Input, inputShape)];
            OutputValue = [OrtValue.CreateTensorValueFromMemory(Output, outputShape)];
            if (preparedShape is not null)
            {
                Prepared = new float[Input.Length];
                PreparedValue = [OrtValue.CreateTensorValueFromMemory(Prepared, preparedShape)];
                PreparedInputValue = [OrtValue.CreateTensorValueFromMemory(Prepared, inputShape)];
            }
        }

        public RunOptions RunOptions { get; } = new();

        public float[] Input { get; }

        public float[] Output { get; }

        public float[]? Prepared { get; }

        public OrtValue[] InputValue { get; }

        public OrtValue[] OutputValue { get; }

        public OrtValue[]? PreparedValue { get; }

        public OrtValue[]? PreparedInputValue { get; }

        public void Dispose()
        {
            InputValue[0].Dispose();
            OutputValue[0].Dispose();
            PreparedValue?[0].Dispose();
            PreparedInputValue?[0].Dispose();
            RunOptions.Dispose();
        }
    }
}
