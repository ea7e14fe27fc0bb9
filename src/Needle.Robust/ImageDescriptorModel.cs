using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using Needle.Hashing;

namespace Needle.Robust;

/// <summary>
/// Computes a picture's global descriptor with an ONNX model: the picture stretched to the model's input size, as RGB
/// planes, through the optional preprocessing model (or ImageNet normalisation), then L2-normalised. Load it once per
/// process: the sessions are large, and <see cref="Describe"/> is safe to call from many threads at once.
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

    private readonly InferenceSession _model;
    private readonly InferenceSession? _preprocess;
    private readonly string[] _modelInput;
    private readonly string[] _modelOutput;
    private readonly string[]? _preprocessInput;
    private readonly string[]? _preprocessOutput;
    private readonly long[] _inputShape;
    private readonly long[] _outputShape;
    private readonly long[] _preparedShape;
    private readonly int _height;
    private readonly int _width;
    private readonly ConcurrentBag<Scratch> _scratch = [];

    // The fused preparation: input[c][i] = pixel[i][_sourceChannel[c]] * _gain[c] - _offset[c * plane + i].
    private readonly int[] _sourceChannel = [0, 1, 2];
    private readonly float[] _gain = new float[3];
    private readonly float[] _offset;

    /// <summary>Loads the model (and its preprocessing model); a missing or unusable file is a <see cref="RobustStartupException"/> naming it.</summary>
    public ImageDescriptorModel(RobustModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = Math.Max(1, options.IntraOpThreads),
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _model = Load(options.ModelPath, sessionOptions);
        try
        {
            var (name, input) = _model.InputMetadata.First();
            _modelInput = [name];
            var dimensions = input.Dimensions;
            if (dimensions.Length != 4 || dimensions[1] != 3)
            {
                throw new RobustStartupException($"the robust model file '{options.ModelPath}' takes input [{string.Join(',', dimensions)}], not [1,3,height,width]");
            }

            _height = dimensions[2] > 0 ? dimensions[2] : 224;
            _width = dimensions[3] > 0 ? dimensions[3] : 224;
            _inputShape = [1, 3, _height, _width];
            var (outputName, outputMetadata) = _model.OutputMetadata.First();
            _modelOutput = [outputName];
            var output = outputMetadata.Dimensions;
            _outputShape = new long[Math.Max(1, output.Length)];
            _outputShape[0] = 1;
            Dimension = 1;
            for (var i = 1; i < output.Length; i++)
            {
                _outputShape[i] = Math.Max(1, output[i]);
                Dimension *= Math.Max(1, output[i]);
            }

            if (Dimension is < 8 or > Needle.Matching.Lists.RobustFeatures.MaxDescriptorLength)
            {
                throw new RobustStartupException($"the robust model file '{options.ModelPath}' gives {Dimension} values per picture; 8..4096 are supported");
            }

            var plane = _width * _height;
            _offset = new float[3 * plane];
            _preparedShape = _inputShape;
            if (options.PreprocessPath is { } preprocessPath)
            {
                _preprocess = Load(preprocessPath, sessionOptions);
                _preprocessInput = [_preprocess.InputMetadata.Keys.First()];
                var (preparedName, prepared) = _preprocess.OutputMetadata.First();
                _preprocessOutput = [preparedName];
                _preparedShape = [.. prepared.Dimensions.Select(d => (long)Math.Max(1, d))];
                if (_preparedShape.Aggregate(1L, (a, b) => a * b) != 3L * plane)
                {
                    throw new RobustStartupException($"the preprocessing model file '{preprocessPath}' gives [{string.Join(',', prepared.Dimensions)}], not 3 x {_height} x {_width} values");
                }

                if (TryFoldPreprocess())
                {
                    _preprocess.Dispose();
                    _preprocess = null;
                }
            }
            else
            {
                for (var c = 0; c < 3; c++)
                {
                    _gain[c] = 1 / (255f * ImageNetDeviation[c]);
                    _offset.AsSpan(c * plane, plane).Fill(ImageNetMean[c] / ImageNetDeviation[c]);
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Length of the descriptor (512 for ResNet18).</summary>
    public int Dimension { get; }

    /// <summary>Whether the preprocessing model was folded into the C# preparation (true for the default model).</summary>
    public bool PreprocessFolded => _preprocess is null;

    /// <summary>The L2-normalised descriptor of <paramref name="image"/>.</summary>
    public float[] Describe(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!_scratch.TryTake(out var scratch))
        {
            scratch = new Scratch(_inputShape, _outputShape, Dimension, _preprocess is null ? null : _preparedShape);
        }

        try
        {
            Prepare(image, scratch.Input);
            if (_preprocess is not null)
            {
                _preprocess.Run(scratch.RunOptions, _preprocessInput!, scratch.InputValue, _preprocessOutput!, scratch.PreparedValue!);
                _model.Run(scratch.RunOptions, _modelInput, scratch.PreparedInputValue!, _modelOutput, scratch.OutputValue);
            }
            else
            {
                _model.Run(scratch.RunOptions, _modelInput, scratch.InputValue, _modelOutput, scratch.OutputValue);
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

    /// <summary>Releases the sessions.</summary>
    public void Dispose()
    {
        _model?.Dispose();
        _preprocess?.Dispose();
        while (_scratch.TryTake(out var scratch))
        {
            scratch.Dispose();
        }
    }

    // The picture resized to the model's input (OpenCV, in place) and turned into normalised planes in one pass.
    private unsafe void Prepare(DecodedImage image, float[] input)
    {
        var plane = _width * _height;
        using var resized = PixelMats.Resize(image, _width, _height);
        var channels = (int)image.Layout;
        var pixels = new ReadOnlySpan<byte>((void*)resized.Data, plane * channels);
        for (var c = 0; c < 3; c++)
        {
            var source = channels == 3 ? _sourceChannel[c] : 0;
            var gain = _gain[c];
            var offset = _offset.AsSpan(c * plane, plane);
            var target = input.AsSpan(c * plane, plane);
            for (var i = 0; i < target.Length; i++)
            {
                target[i] = (pixels[(i * channels) + source] * gain) - offset[i];
            }
        }
    }

    // Runs the preprocessing model on zeros (giving minus its mean) and on a probe pattern; when the probe comes out as
    // its own channels (in some order) minus that mean, the model is exactly a reorder and a subtraction, done in C#.
    private bool TryFoldPreprocess()
    {
        var plane = _width * _height;
        using var scratch = new Scratch(_inputShape, _preparedShape, 3 * plane, null);
        _preprocess!.Run(scratch.RunOptions, _preprocessInput!, scratch.InputValue, _preprocessOutput!, scratch.OutputValue);
        var zero = scratch.Output.ToArray();
        for (var k = 0; k < scratch.Input.Length; k++)
        {
            scratch.Input[k] = (k * 37) % 251;
        }

        _preprocess.Run(scratch.RunOptions, _preprocessInput!, scratch.InputValue, _preprocessOutput!, scratch.OutputValue);
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
                    _sourceChannel[c] = order[c];
                    _gain[c] = 1;
                }

                for (var k = 0; k < zero.Length; k++)
                {
                    _offset[k] = -zero[k];
                }

                return true;
            }
        }

        // Not a plain subtraction: the model runs on raw 0..255 planes every time.
        _gain.AsSpan().Fill(1);
        return false;
    }

    private static InferenceSession Load(string path, SessionOptions options)
    {
        if (!File.Exists(path))
        {
            throw new RobustStartupException(
                $"the robust model file '{path}' does not exist: build Needle (the build copies the default ResNet18 model next to the binaries) or give a model file with --robust-model");
        }

        try
        {
            return new InferenceSession(path, options);
        }
        catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException or TypeInitializationException)
        {
            throw new RobustStartupException($"the robust model file '{path}' could not be loaded: {e.Message}", e);
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
