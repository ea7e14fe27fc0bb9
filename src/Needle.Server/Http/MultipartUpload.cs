using System.Text;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using Needle.Application.Intake;

namespace Needle.Server.Http;

/// <summary>Size limits applied while a multipart body is read: <paramref name="MaxTotalBytes"/> counts every part, text fields included.</summary>
internal sealed record UploadLimits(long MaxFileBytes, long MaxTotalBytes, int MaxFiles, int MaxFieldBytes);

/// <summary>A multipart/form-data body: its text fields and its files.</summary>
internal sealed record MultipartUpload(IReadOnlyDictionary<string, string> Fields, IReadOnlyList<IncomingMedia> Files)
{
    /// <summary>Most text fields in one request (a report needs one, an upload two or three).</summary>
    public const int MaxFields = 32;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// Reads the sections one by one from the request stream, counting bytes as they arrive: a file over the per-file
    /// limit, or files over the total, stop the read with a 413 at once, so an oversized request is never buffered
    /// whole. The files that fit are held in memory (the intake needs them whole to hash and encrypt). A body that is
    /// empty, cut inside a part or missing its closing boundary is a 400, as is a text field that is not UTF-8.
    /// </summary>
    public static async Task<MultipartUpload> ReadAsync(HttpRequest request, UploadLimits limits, CancellationToken cancellationToken)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType) ||
            HeaderUtilities.RemoveQuotes(contentType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw RequestProblemException.Invalid("A multipart/form-data body needs a boundary.");
        }

        if (request.ContentLength == 0)
        {
            throw RequestProblemException.Invalid("The multipart body is empty: send the parts, each after the boundary, and the closing boundary.");
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
                throw RequestProblemException.Invalid("The multipart body is malformed: " + Problems.Echo(ex.Message, 200));
            }
            catch (IOException ex) when (ex is not BadHttpRequestException)
            {
                throw EndsEarly();
            }

            if (section is null)
            {
                break;
            }

            if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition) ||
                !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase) ||
                HeaderUtilities.RemoveQuotes(disposition.Name).Value is not { Length: > 0 } name)
            {
                throw RequestProblemException.Invalid("Every part of the multipart body needs 'Content-Disposition: form-data; name=\"...\"'.");
            }

            // Every part, text or file, counts against the request's total: text fields are no way around the budget.
            var remaining = limits.MaxTotalBytes - total;
            var overTotal = (remaining, $"The parts together are larger than {limits.MaxTotalBytes} bytes.");

            var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
            if (string.IsNullOrEmpty(fileName))
            {
                // A text field (the report JSON, a label...): small, and bounded on its own.
                if (fields.Count >= MaxFields)
                {
                    throw RequestProblemException.TooLarge($"A request carries at most {MaxFields} text fields.");
                }

                var bytes = await ReadPartAsync(section.Body, limits.MaxFieldBytes, buffer, $"The field '{Problems.Echo(name)}'", overTotal, cancellationToken).ConfigureAwait(false);
                total += bytes.Length;
                string text;
                try
                {
                    text = StrictUtf8.GetString(bytes);
                }
                catch (DecoderFallbackException)
                {
                    throw RequestProblemException.Invalid($"The field '{Problems.Echo(name)}' is not valid UTF-8 text.");
                }

                if (!fields.TryAdd(name, text))
                {
                    throw RequestProblemException.Invalid($"The field '{Problems.Echo(name)}' appears twice.");
                }

                continue;
            }

            if (files.Count >= limits.MaxFiles)
            {
                throw RequestProblemException.TooLarge($"A request carries at most {limits.MaxFiles} files.");
            }

            var content = await ReadPartAsync(section.Body, limits.MaxFileBytes, buffer, $"The file '{Problems.Echo(fileName)}' (part '{Problems.Echo(name)}')",
                overTotal, cancellationToken).ConfigureAwait(false);
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
            throw RequestProblemException.Invalid("The multipart body is malformed: " + Problems.Echo(ex.Message, 200));
        }
        catch (IOException ex) when (ex is not BadHttpRequestException)
        {
            throw EndsEarly();
        }

        return content.ToArray();
    }

    /// <summary>The reader hit the end of the body inside a part or before the closing boundary (an empty or cut body).</summary>
    private static RequestProblemException EndsEarly() => RequestProblemException.Invalid(
        "The multipart body ends early: it is empty, cut inside a part, or has no closing boundary ('--BOUNDARY--').");
}
