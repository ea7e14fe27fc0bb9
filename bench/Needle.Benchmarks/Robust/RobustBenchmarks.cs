using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.Matching.Lists;
using Needle.Robust;

namespace Needle.Benchmarks.Robust;

/// <summary>
/// The robust tier's costs: the descriptor of one picture (ResNet18 at 224x224, one thread), ORB keypoints of one
/// picture, the geometric check of one candidate, and the descriptor shortlist over N held pictures with the SIMD
/// kernel against the scalar one.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class RobustBenchmarks
{
    private ImageDescriptorModel _model = null!;
    private RobustFeatureExtractor _extractor = null!;
    private DecodedImage _image = null!;
    private RobustFeatures _listed = null!;
    private LocalFeatures _query = null!;
    private DescriptorIndex _index = null!;
    private float[] _queryDescriptor = null!;
    private readonly int[] _rows = new int[10];
    private readonly float[] _scores = new float[10];

    [Params(10_000, 100_000, 1_000_000)]
    public int Held { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = new ImageDescriptorModel(new RobustModelOptions());
        _extractor = new RobustFeatureExtractor(_model);
        var photo = Path.Combine(RepositoryRoot(), "testdata", "pdq", "photos", "p28_raccoon.png");
        _image = new ImageDecoder().DecodeForDisplay(File.ReadAllBytes(photo), 512);
        _listed = _extractor.Extract(_image)!;
        using var rotated = Needle.Hashing.Transforms.ImageTransforms.Rotate(_image, 5);
        _query = LocalFeatureExtractor.Extract(rotated, _extractor.Options.MaxKeypoints);
        _queryDescriptor = _listed.Descriptor;
        var random = new Random(1);
        _index = new DescriptorIndex(_model.Dimension);
        var row = new float[_model.Dimension];
        for (var i = 0; i < Held; i++)
        {
            for (var j = 0; j < row.Length; j++)
            {
                row[j] = (float)random.NextDouble() - 0.5f;
            }

            DescriptorKernel.Normalize(row);
            _index.Add(row);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _image.Dispose();
        _model.Dispose();
    }

    [Benchmark(Description = "descriptor (ResNet18) of one picture")]
    public float[] Descriptor() => _model.Describe(_image);

    [Benchmark(Description = "ORB keypoints of one picture")]
    public LocalFeatures Keypoints() => LocalFeatureExtractor.Extract(_image, _extractor.Options.MaxKeypoints);

    [Benchmark(Description = "geometric check of one candidate")]
    public RobustMatchDetails? Verify() => GeometricVerifier.Verify(_query, _listed, _extractor.Options, false, 1);

    [Benchmark(Description = "shortlist of 10, SIMD")]
    public int ShortlistSimd() => _index.Search(_queryDescriptor, 10, _rows, _scores, useVectors: true);

    [Benchmark(Baseline = true, Description = "shortlist of 10, scalar")]
    public int ShortlistScalar() => _index.Search(_queryDescriptor, 10, _rows, _scores, useVectors: false);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Needle.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Needle.slnx not found above " + AppContext.BaseDirectory);
    }
}
