using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Needle.Hashing;
using Needle.Hashing.Transforms;

namespace Needle.Robust;

/// <summary>
/// Computes a picture's global descriptor with an ONNX model: the picture stretched to the model's input size, as RGB
/// planes, through the optional preprocessing model (or ImageNet normalisation), then L2-normalised. Load it once per
/// process: the sessions are large, and <see cref="Describe"/> is safe to call from many threads at once.
/// </summary>
public sealed class ImageDescriptorModel : IDisposable
{
    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetDeviation = [0.229f, 0.224f, 0.225f];

    private readonly InferenceSession _model;
    private readonly InferenceSession? _preprocess;
    private readonly string _modelInput;
    private readonly string? _preprocessInput;
    private readonly int[] _inputShape;

    /// <summary>Loads the model (and its preprocessing model); a missing or unusable file is a <see cref="RobustStartupException"/> naming it.</summary>
    public ImageDescriptorModel(RobustModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = Math.Max(1, options.IntraOpThreads), InterOpNumThreads = 1 };
        _model = Load(options.ModelPath, sessionOptions);
        try
        {
            if (options.PreprocessPath is { } preprocessPath)
            {
                _preprocess = Load(preprocessPath, sessionOptions);
                _preprocessInput = _preprocess.InputMetadata.Keys.First();
            }

            var (name, input) = _model.InputMetadata.First();
            _modelInput = name;
            var dimensions = input.Dimensions;
            if (dimensions.Length != 4 || dimensions[1] != 3)
            {
                throw new RobustStartupException($"the robust model file '{options.ModelPath}' takes input [{string.Join(',', dimensions)}], not [1,3,height,width]");
            }

            _inputShape = [1, 3, dimensions[2] > 0 ? dimensions[2] : 224, dimensions[3] > 0 ? dimensions[3] : 224];
            var output = _model.OutputMetadata.First().Value.Dimensions;
            Dimension = 1;
            for (var i = 1; i < output.Length; i++)
            {
                Dimension *= Math.Max(1, output[i]);
            }

            if (Dimension is < 8 or > Needle.Matching.Lists.RobustFeatures.MaxDescriptorLength)
            {
                throw new RobustStartupException($"the robust model file '{options.ModelPath}' gives {Dimension} values per picture; 8..4096 are supported");
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

    /// <summary>The L2-normalised descriptor of <paramref name="image"/>.</summary>
    public float[] Describe(DecodedImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        int height = _inputShape[2], width = _inputShape[3];
        using var resized = ImageTransforms.Resize(image, width, height);
        var planes = new float[3 * width * height];
        var pixels = resized.Pixels;
        var channels = (int)resized.Layout;
        var plane = width * height;
        for (var i = 0; i < plane; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                float value = pixels[(i * channels) + (channels == 3 ? c : 0)];
                planes[(c * plane) + i] = _preprocess is null ? ((value / 255f) - ImageNetMean[c]) / ImageNetDeviation[c] : value;
            }
        }

        var tensor = new DenseTensor<float>(planes, _inputShape);
        if (_preprocess is not null)
        {
            using var prepared = _preprocess.Run([NamedOnnxValue.CreateFromTensor(_preprocessInput!, tensor)]);
            tensor = new DenseTensor<float>(prepared[0].AsTensor<float>().ToArray(), _inputShape);
        }

        using var results = _model.Run([NamedOnnxValue.CreateFromTensor(_modelInput, tensor)]);
        var descriptor = results[0].AsTensor<float>().ToArray();
        DescriptorKernel.Normalize(descriptor);
        return descriptor;
    }

    /// <summary>Releases the sessions.</summary>
    public void Dispose()
    {
        _model?.Dispose();
        _preprocess?.Dispose();
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
}
