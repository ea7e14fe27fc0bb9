using ImageMagick;
using ImageMagick.Configuration;

namespace Needle.Hashing.Decoding;

/// <summary>
/// ImageMagick's process-wide set-up, done once before its first use: a security policy that leaves only the coders
/// Needle routes to it reachable (no MSL, SVG, MVG, TEXT, URL, PS/PDF, no delegates to external programs, no
/// <c>@file</c> indirection), and resource limits. ImageMagick keeps both per process, not per call, so this is the one
/// place Needle holds such state: the limits only ever rise to the largest <see cref="DecodeOptions"/> seen, and each
/// decode still checks its own limits from the header before any pixel is decoded.
/// </summary>
internal static class MagickEnvironment
{
    /// <summary>
    /// Every coder is denied, then the still-image coders Needle routes here are allowed (read, and write for the tests
    /// and tools that make samples); GIF, PNG and WebP so tests can write animations (APNG goes through an ffmpeg delegate, denied). Denying a coder also denies it when a file names
    /// it inside (a TIFF cannot pull in an SVG or MSL).
    /// </summary>
    internal const string PolicyXml = """
        <policymap>
          <policy domain="delegate" rights="none" pattern="*"/>
          <policy domain="filter" rights="none" pattern="*"/>
          <policy domain="path" rights="none" pattern="@*"/>
          <policy domain="coder" rights="none" pattern="*"/>
          <policy domain="coder" rights="read | write" pattern="{HEIC,HEIF,AVIF,TIFF,TIF,TIFF64,JXL,PSD,PSB,DNG,CR2,CR3,CRW,NEF,NRW,ARW,SR2,SRF,ORF,RW2,RAF,PEF,GIF,PNG,WEBP}"/>
          <policy domain="system" name="max-memory-request" value="2GiB"/>
        </policymap>
        """;

    private static readonly Lazy<bool> Initialized = new(Initialize, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lock LimitsLock = new();
    private static ulong _width;
    private static ulong _height;
    private static ulong _area;
    private static ulong _memory;
    private static ulong _seconds;

    /// <summary>Most images ImageMagick may hold from one file (animation frames, TIFF pages).</summary>
    internal const ulong MaxListLength = 4096;

    /// <summary>Whether ImageMagick runs under Needle's policy (initialising it on first use).</summary>
    public static bool PolicyInForce => Initialized.Value;

    /// <summary>
    /// Initialises ImageMagick (once) and raises its limits to cover <paramref name="options"/>. Fails closed: when
    /// something else in the process initialised ImageMagick first, the policy could not be installed, and every file
    /// for the second decoder is refused.
    /// </summary>
    public static void Ensure(DecodeOptions options, string? name = null)
    {
        if (!Initialized.Value)
        {
            throw new ImageDecodeException(name, DecodeFailure.UnsupportedFormat,
                "the second decoder (Magick.NET) is disabled: ImageMagick was initialised before Needle could install its coder policy");
        }

        var seconds = options.DecodeTimeout == Timeout.InfiniteTimeSpan
            ? 24UL * 3600
            : (ulong)Math.Ceiling(Math.Max(1, options.DecodeTimeout.TotalSeconds));
        lock (LimitsLock)
        {
            _width = Raise(_width, (ulong)options.MaxDimension, static v => ResourceLimits.Width = v);
            _height = Raise(_height, (ulong)options.MaxDimension, static v => ResourceLimits.Height = v);
            _area = Raise(_area, (ulong)options.MaxPixels, static v => ResourceLimits.Area = v);
            _memory = Raise(_memory, (ulong)options.MemoryBudget.CapacityBytes, static v => ResourceLimits.Memory = v);
            _seconds = Raise(_seconds, seconds, static v => ResourceLimits.Time = v);
        }
    }

    private static ulong Raise(ulong current, ulong wanted, Action<ulong> set)
    {
        if (wanted <= current)
        {
            return current;
        }

        set(wanted);
        return wanted;
    }

    private static bool Initialize()
    {
        var files = ConfigurationFiles.Default;
        files.Policy.Data = PolicyXml;
        MagickNET.Initialize(files);

        // Pixels never go to a disk cache (decrypted media stays in memory); over the memory limit a read fails.
        ResourceLimits.Disk = 0;
        ResourceLimits.ListLength = MaxListLength;
        ResourceLimits.Thread = 1;
        return ProbeDenied();
    }

    /// <summary>True when a coder the policy denies is really refused (ImageMagick reads its policy only at its first initialisation).</summary>
    private static bool ProbeDenied()
    {
        try
        {
            using var probe = new MagickImage();
            probe.Read("needle"u8, new MagickReadSettings { Format = MagickFormat.Text });
            return false;
        }
        catch (MagickPolicyErrorException)
        {
            return true;
        }
        catch (MagickException)
        {
            return false;
        }
    }
}
