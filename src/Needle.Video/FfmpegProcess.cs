using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Needle.Video;

/// <summary>
/// A child ffmpeg/ffprobe with stdout as a binary pipe and the tail of stderr kept for error messages. Disposing kills
/// the whole process tree if it still runs and always waits for it, so no zombie is left behind.
/// </summary>
internal sealed class FfmpegProcess : IDisposable
{
    private const int StderrTailChars = 2000;

    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Lock _stderrSync = new();
    private readonly CancellationTokenRegistration _registration;
    private int _killed;

    private FfmpegProcess(Process process, CancellationToken cancellationToken)
    {
        _process = process;
        _registration = cancellationToken.Register(static state => ((FfmpegProcess)state!).Kill(), this);
    }

    public Stream Output => _process.StandardOutput.BaseStream;

    public int ProcessId => _process.Id;

    /// <summary>True once <see cref="Kill"/> ran (time-out, cancellation or early stop).</summary>
    public bool WasKilled => Volatile.Read(ref _killed) != 0;

    public static FfmpegProcess Start(string executable, IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            CreateNoWindow = true,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new VideoHashException($"cannot run '{executable}' ({ex.Message}); install ffmpeg (Debian: apt-get install ffmpeg) or set its path", ex);
        }

        process.StandardInput.Close();
        var wrapper = new FfmpegProcess(process, cancellationToken);
        process.ErrorDataReceived += wrapper.OnStderr;
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>The last ~2000 characters ffmpeg wrote to stderr, on one line.</summary>
    public string StderrTail
    {
        get
        {
            lock (_stderrSync)
            {
                return _stderr.ToString().Trim().Replace('\n', ' ');
            }
        }
    }

    /// <summary>Waits for the exit (after stdout was read to the end) and returns the exit code.</summary>
    public int WaitForExit()
    {
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>Kills the process and its children; safe to call more than once and after exit.</summary>
    public void Kill()
    {
        Interlocked.Exchange(ref _killed, 1);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (Win32Exception)
        {
            // Exiting at the same moment.
        }
    }

    public void Dispose()
    {
        _registration.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }

        // Reap the child (and let the stderr reader finish) whatever happened before.
        _process.WaitForExit();
        _process.Dispose();
    }

    private void OnStderr(object sender, DataReceivedEventArgs e)
    {
        if (e.Data is null)
        {
            return;
        }

        lock (_stderrSync)
        {
            _stderr.Append(e.Data).Append('\n');
            if (_stderr.Length > StderrTailChars * 2)
            {
                _stderr.Remove(0, _stderr.Length - StderrTailChars);
            }
        }
    }
}
