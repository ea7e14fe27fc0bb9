using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Needle.Hashing;
using Needle.Hashing.Transforms;
using Needle.Robust;

namespace Needle.Benchmarks.Robust;

/// <summary>
/// The descriptor as Needle computed it before the cost work (kept here only to measure against in the same run):
/// managed resize, managed planes, the preprocessing model run per picture, new tensors and results every call,
/// session options left at their defaults but for one thread.
/// </summary>
internal sealed class LegacyDescriptorModel : IDisposable
{
    private readonly InferenceSession _model;
    private readonly InferenceSession _preprocess;
    private readonly string _modelInput;
    private readonly string _preprocessInput;
    private readonly int[] _inputShape = [1, 3, 224, 224];

    public LegacyDescriptorModel(RobustModelOptions options)
    {
        using var sessionOptions = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        _model = new InferenceSession(options.ModelPath, sessionOptions);
        _preprocess = new InferenceSession(options.PreprocessPath!, sessionOptions);
        _modelInput = _model.InputMetadata.Keys.First();
        _preprocessInput = _preprocess.InputMetadata.Keys.First();
    }

    public float[] Describe(DecodedImage image)
    {
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
                planes[(c * plane) + i] = pixels[(i * channels) + (channels == 3 ? c : 0)];
            }
        }

        var tensor = new DenseTensor<float>(planes, _inputShape);
        using (var prepared = _preprocess.Run([NamedOnnxValue.CreateFromTensor(_preprocessInput, tensor)]))
        {
            tensor = new DenseTensor<float>(prepared[0].AsTensor<float>().ToArray(), _inputShape);
        }

        using var results = _model.Run([NamedOnnxValue.CreateFromTensor(_modelInput, tensor)]);
        var descriptor = results[0].AsTensor<float>().ToArray();
        DescriptorKernel.Normalize(descriptor);
        return descriptor;
    }

    public void Dispose()
    {
        _model.Dispose();
        _preprocess.Dispose();
    }
}
