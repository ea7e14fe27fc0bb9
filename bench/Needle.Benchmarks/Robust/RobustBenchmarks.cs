using BenchmarkDotNet.Attributes;
using Needle.Hashing;
using Needle.Hashing.Pdq;
using Needle.Matching.Lists;
using Needle.Robust;

namespace Needle.Benchmarks.Robust;

/// <summary>
/// The robust tier's costs per picture, one thread, against the PDQ hashes (all eight dihedral ones, as
/// <c>needle scan</c> computes them) of the same decoded picture as the baseline: the descriptor (ResNet18 at 224x224)
/// as it is now and as it was (<see cref="LegacyDescriptorModel"/>), ORB keypoints, and the geometric check of one
/// candidate (from a decoded entry, and as the matcher holds it, packed).
/// Run: dotnet run -c Release --project bench/Needle.Benchmarks -- --filter '*.Robust*Benchmarks.*' --job short --inProcess
/// </summary>
[MemoryDiagnoser]
public class RobustBenchmarks
{
    private readonly PdqHasher _pdq = new();
    private ImageDescriptorModel _model = null!;
    private LegacyDescriptorModel _legacy = null!;
    private RobustFeatureExtractor _extractor = null!;
    private DecodedImage _image = null!;
    private RobustFeatures _listed = null!;
    private HeldKeypoints _held = null!;
    private LocalFeatures _query = null!;
    private LocalFeatures _unrelated = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = new ImageDescriptorModel(new RobustModelOptions());
        _legacy = new LegacyDescriptorModel(new RobustModelOptions());
        _extractor = new RobustFeatureExtractor(_model);
        var photo = Path.Combine(RobustBenchmarkData.RepositoryRoot(), "testdata", "pdq", "photos", "p28_raccoon.png");

        // The size needle scan's second look decodes to.
        _image = new ImageDecoder().DecodeForDisplay(File.ReadAllBytes(photo), 512);
        _listed = _extractor.Extract(_image)!;

        // Cross-check: on a picture already at the model's size (no resizing, which changed: OpenCV's area average now)
        // the folded preparation must give the descriptor the preprocessing model gave.
        using (var small = Needle.Hashing.Transforms.ImageTransforms.Resize(_image, 224, 224))
        {
            var exact = DescriptorKernel.Dot(_legacy.Describe(small), _model.Describe(small));
            Console.WriteLine($"// descriptor now vs before at 224x224: cosine {exact:F6}, preprocessing folded: {_model.PreprocessFolded}");
            if (exact < 0.9999f)
            {
                throw new InvalidOperationException($"The folded preparation differs from the preprocessing model (cosine {exact}).");
            }
        }

        Console.WriteLine($"// descriptor now vs before at 512 px (resizing differs): cosine {DescriptorKernel.Dot(_legacy.Describe(_image), _model.Describe(_image)):F4}");
        _held = HeldKeypoints.From(_listed, _extractor.Options.HeldKeypoints);
        using var rotated = Needle.Hashing.Transforms.ImageTransforms.Rotate(_image, 5);
        _query = LocalFeatureExtractor.Extract(rotated, _extractor.Options.MaxKeypoints);
        using var other = new ImageDecoder().DecodeForDisplay(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(photo)!, "p29_koala.png")), 512);
        _unrelated = LocalFeatureExtractor.Extract(other, _extractor.Options.MaxKeypoints);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _image.Dispose();
        _model.Dispose();
        _legacy.Dispose();
    }

    [Benchmark(Baseline = true, Description = "PDQ, 8 dihedral hashes (baseline)")]
    public PdqDihedralResult PdqDihedral() => _pdq.HashDihedral(_image);

    [Benchmark(Description = "descriptor (ResNet18), before")]
    public float[] DescriptorBefore() => _legacy.Describe(_image);

    [Benchmark(Description = "descriptor (ResNet18), now")]
    public float[] Descriptor() => _model.Describe(_image);

    [Benchmark(Description = "ORB keypoints (500)")]
    public LocalFeatures Keypoints() => LocalFeatureExtractor.Extract(_image, _extractor.Options.MaxKeypoints);

    [Benchmark(Description = "robust entry (descriptor + ORB)")]
    public RobustFeatures? Entry() => _extractor.Extract(_image);

    [Benchmark(Description = "geometric check of one candidate (entry)")]
    public RobustMatchDetails? Verify() => GeometricVerifier.Verify(_query, _listed, _extractor.Options, false, 1);

    [Benchmark(Description = "geometric check of an unrelated candidate (held, packed)")]
    public RobustMatchDetails? VerifyUnrelated() => GeometricVerifier.Verify(_unrelated, _held, _extractor.Options, false, 1);

    [Benchmark(Description = "geometric check of one candidate (held, packed)")]
    public RobustMatchDetails? VerifyHeld() => GeometricVerifier.Verify(_query, _held, _extractor.Options, false, 1);
}
