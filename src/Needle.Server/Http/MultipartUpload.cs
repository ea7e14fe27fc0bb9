using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Needle.Application.Intake;

namespace Needle.Server.Http;

/// <summary>Size limits applied while a multipart body is read.</summary>
internal sealed record UploadLimits(long MaxFileBytes, long MaxTotalBytes, int MaxFiles, int MaxFieldBytes);

/// <summary>A multipart/form-data body: its text fields and its files.</summary>
internal sealed record MultipartUpload(IReadOnlyDictionary<string, string> Fields, IReadOnlyList<IncomingMedia> Files)
{
    /// <summary>
    /// Reads the sections one by one from the request stream, counting bytes as they arrive: a file over the per-file
    /// limit, or files over the total, stop the read with a 413 at once, so an oversized request is never buffered
    /// whole. The files that fit are held in memory (the intake needs them whole to hash and encrypt).
    /// </summary>
    public static async Task<MultipartUpload> ReadAsync(HttpRequest request, UploadLimits limits, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ||
            HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw RequestProblemException.Invalid("A multipart/form-data body needs a boundary.");
        }

        // Our own counting below fires first; the reader's per-section cap is a backstop.
        var reader = new MultipartReader(boundary, request.Body)
        {
            HeadersLengthLimit = 16 * 1024,
            BodyLengthLimit = Math.Max(limits.MaxFileBytes, limits.MaxFieldBytes) + 1,
        };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        var files = new List<IncomingMedia>();
        long total = 0;
        var buffer = new byte[81920];
        while (true)
        {
            MultipartSection? section;
            try
            {
                section = await reader.ReadNextSectionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                throw RequestProblemException.Invalid("The multipart body is malformed: " + ex.Message);
            }

            if (section is null)
            {
                break;
            }

            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) ||
                HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } name)
            {
                throw RequestProblemException.Invalid("Every part needs 'Content-Disposition: form-data; name=\"...\"'.");
            }

            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            if (string.IsNullOrEmpty(fileName))
            {
                // A text field (the report JSON, a label...): small, and bounded on its own.
                var bytes = await ReadPartAsync(section.Body, limits.MaxFieldBytes, buffer, $"The field '{name}'", null, cancellationToken).ConfigureAwait(false);
                if (!fields.TryAdd(name, Encoding.UTF8.GetString(bytes)))
                {
                    throw RequestProblemException.Invalid($"The field '{name}' appears twice.");
                }

                continue;
            }

            if (files.Count >= limits.MaxFiles)
            {
                throw RequestProblemException.TooLarge($"A request carries at most {limits.MaxFiles} files.");
            }

            var remaining = limits.MaxTotalBytes - total;
            var content = await ReadPartAsync(section.Body, limits.MaxFileBytes, buffer, $"The file '{fileName}' (part '{name}')",
                (remaining, $"The files together are larger than {limits.MaxTotalBytes} bytes."), cancellationToken).ConfigureAwait(false);
            total += content.Length;
            files.Add(new IncomingMedia(name, Path.GetFileName(fileName), section.ContentType, content));
        }

        return new MultipartUpload(fields, files);
    }

    private static async Task<byte[]> ReadPartAsync(Stream body, long maxBytes, byte[] buffer, string what,
        (long Remaining, string Message)? total, CancellationToken cancellationToken)
    {
        using var content = new MemoryStream();
        int read;
        try
        {
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (content.Length + read > maxBytes)
                {
                    throw RequestProblemException.TooLarge($"{what} is larger than {maxBytes} bytes.");
                }

                if (total is { } t && content.Length + read > t.Remaining)
                {
                    throw RequestProblemException.TooLarge(t.Message);
                }

                content.Write(buffer, 0, read);
            }
        }
        catch (InvalidDataException ex)
        {
            throw RequestProblemException.Invalid("The multipart body is malformed: " + ex.Message);
        }

        return content.ToArray();
    }
}
