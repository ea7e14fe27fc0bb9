using System.CommandLine;
using Needle.Robust;

namespace Needle.Cli.Infrastructure;

/// <summary>
/// <c>--robust-model PATH</c> (and, for scans, <c>--robust auto|always|off</c>): which ONNX model the robust tier
/// uses: checked before any file is read (a missing model file or one that is not ONNX is reported at once), loaded
/// once per run, on the first file that needs it.
/// </summary>
internal sealed class RobustOptionSet(bool withMode)
{
    private readonly Option<string> _mode = new("--robust")
    {
        Description = "The robust tier (descriptor shortlist + geometric check, for cropped, rotated, mirrored, framed and screenshotted copies): auto runs it on the files no hash matched when a list has robust entries; always on every file; off never.",
        DefaultValueFactory = _ => "auto",
        HelpName = "MODE",
    };

    private readonly Option<string?> _model = new("--robust-model")
    {
        Description = "An ONNX model for the robust tier's descriptor, input [1,3,H,W] RGB, output N floats (default: the ResNet18 shipped with needle). Its input is normalised with ImageNet's mean and deviation.",
        HelpName = "PATH",
    };

    private readonly Option<string?> _cache = new("--robust-cache")
    {
        Description = "Where the robust model's optimised graph is kept between runs, so later runs load the model in less time (checked against the model, the runtime and the CPU; rebuilt when stale or damaged): a folder, or off. Default: $XDG_CACHE_HOME/needle, else ~/.cache/needle.",
        HelpName = "DIR|off",
    };

    public void AddTo(Command command)
    {
        if (withMode)
        {
            _mode.AcceptOnlyFromAmong("auto", "always", "off");
            command.Options.Add(_mode);
        }

        command.Options.Add(_model);
        command.Options.Add(_cache);
    }

    public string Mode(ParseResult parse) => withMode ? parse.GetValue(_mode) ?? "auto" : "always";

    /// <summary>The extractor with its model checked (loaded on first need), or null after writing the error (missing or unusable model file, native library).</summary>
    public RobustFeatureExtractor? Load(ParseResult parse, CliContext context)
    {
        var options = parse.GetValue(_model) is { } path
            ? RobustModelOptions.ForModel(InputPaths.Resolve(path, context.WorkingDirectory))
            : new RobustModelOptions();
        options = options with
        {
            CacheDirectory = parse.GetValue(_cache) switch
            {
                null => options.CacheDirectory,
                "off" => null,
                var folder => InputPaths.Resolve(folder, context.WorkingDirectory),
            },
            // A cache used or built says nothing; one rebuilt (stale or damaged) or that cannot be written says why.
            CacheReport = report =>
            {
                if (!report.StartsWith("used ", StringComparison.Ordinal) && !report.StartsWith("built ", StringComparison.Ordinal))
                {
                    context.Error.WriteLine($"robust model cache: {report}");
                }
            },
        };
        ImageDescriptorModel? model = null;
        try
        {
            model = new ImageDescriptorModel(options);
            var extractor = new RobustFeatureExtractor(model);
            context.RobustModelMade?.Invoke(model);
            return extractor;
        }
        catch (RobustStartupException e)
        {
            model?.Dispose();
            context.Error.WriteLine($"error: robust tier: {e.Message}");
            return null;
        }
    }

    /// <summary>The robust tier's failure to load (on first need) inside <paramref name="exception"/>, or null.</summary>
    public static RobustStartupException? FailureIn(Exception exception)
    {
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            if (e is RobustStartupException failure)
            {
                return failure;
            }
        }

        return null;
    }
}
