using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Needle.Application.Triage;
using Needle.Core.Access;
using Needle.Testing.Images;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>A node with workers and a snapshot folder writes its near-duplicate media index's snapshot on a clean shutdown.</summary>
public sealed class MediaIndexSnapshotServerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("needle-media-snapshot-server-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task A_clean_shutdown_writes_the_media_index_snapshot_holding_every_processed_image()
    {
        var snapshots = Path.Combine(_folder, "snapshots");
        var path = Path.Combine(snapshots, NearDuplicateMediaIndex.SnapshotFileName);
        await using (var server = await RunningServer.StartAsync(o => o with { ListSnapshotDirectory = snapshots }))
        {
            var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
            var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
            var form = new MultipartFormDataContent { { new StringContent("{\"files\":[{\"part\":\"f0\"},{\"part\":\"f1\"}]}", Encoding.UTF8, "application/json"), "report" } };
            foreach (var (seed, part) in new[] { (41, "f0"), (42, "f1") })
            {
                var content = new ByteArrayContent(TestImages.Generated(seed));
                content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
                form.Add(content, part, part + ".jpg");
            }

            var response = await submitter.PostAsync("/api/v1/reports", form);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            var id = (await RunningServer.JsonAsync(response))["id"]!.GetValue<string>();
            var deadline = TimeProvider.System.GetUtcNow().AddSeconds(60);
            while ((await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}")))["score"] is null)
            {
                Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not triaged within 60 s");
                await Task.Delay(100);
            }

            Assert.False(File.Exists(path));
        }

        // A 64-byte header, then per held file its PDQ (32 bytes) and media sequence (8).
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal("NDLMSNAP", Encoding.ASCII.GetString(bytes, 0, 8));
        Assert.Equal(64 + (2 * 40), bytes.Length);
    }
}
