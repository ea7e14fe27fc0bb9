using System.Buffers;
using System.Text;
using System.Text.Json;
using Needle.Cli.Clues;
using Needle.Hashing;

namespace Needle.Cli.Output;

/// <summary>
/// One JSON object per line. Failed files are written too, as <c>{"path":..., "error":..., "failure":...}</c>, so a
/// consumer reading only stdout still sees every input.
/// </summary>
internal sealed class JsonLinesHashWriter(TextWriter output, HashColumns columns) : IHashResultWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);

    public void WriteHeader()
    {
        // JSON lines are self-describing; there is no header.
    }

    public void Write(MediaHashResult result) => Write(result, null);

    /// <summary>Writes one result with its clues (<c>needle hash --metadata</c>) as a <c>metadata</c> object.</summary>
    public void Write(MediaHashResult result, FileClues? clues)
    {
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer))
        {
            json.WriteStartObject();
            json.WriteString("path", result.Path);
            if (!result.Succeeded)
            {
                json.WriteString("error", result.Error);
                if (result.Failure is { } failure)
                {
                    json.WriteString("failure", failure.ToString());
                }
            }

            if (result.Pdq is { } pdq)
            {
                json.WriteString("pdq", pdq.Hash.ToString());
                json.WriteNumber("quality", pdq.Quality);
            }

            if (columns.Dihedral && result.Dihedral is { } dihedral)
            {
                json.WriteStartObject("dihedral");
                for (var t = 0; t < DihedralTransformNames.Count; t++)
                {
                    json.WriteString(((DihedralTransform)t).ToName(), dihedral.Hashes[t].ToString());
                }

                json.WriteEndObject();
            }

            WriteIfPresent(json, "md5", result.Md5);
            WriteIfPresent(json, "sha1", result.Sha1);
            WriteIfPresent(json, "sha256", result.Sha256);
            json.WriteNumber("bytes", result.FileBytes);
            if (result.Succeeded && result.Pdq is not null)
            {
                json.WriteNumber("width", result.Width);
                json.WriteNumber("height", result.Height);
                json.WriteString("format", result.Format.ToString().ToLowerInvariant());
            }

            if (clues is not null)
            {
                ClueWriters.WriteJson(json, clues);
            }

            json.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(_buffer.WrittenSpan));
    }

    private static void WriteIfPresent(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
