using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Needle.Core.Access;
using Needle.Robust;
using Needle.Testing;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// The server with the robust tier on checks its model at start (a model file that is not ONNX stops the start, naming
/// it) and creates the model's sessions on first need: not at start, once the first picture is processed.
/// </summary>
public sealed class RobustLazyLoadTests
{
    [Fact]
    public async Task The_model_is_loaded_by_the_first_processed_picture_not_at_start()
    {
        await using var server = await RunningServer.StartAsync(o => o with { Robust = true });
        var model = server.App.Services.GetRequiredService<ImageDescriptorModel>();
        Assert.False(model.IsLoaded);
        using var loaded = new SemaphoreSlim(0);
        model.Loaded += (_, _) => loaded.Release();

        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var form = new MultipartFormDataContent { { new StringContent("{}", Encoding.UTF8, "application/json"), "report" } };
        var part = new ByteArrayContent(File.ReadAllBytes(Path.Combine(TestPaths.Pdq, "photos", "p28_raccoon.png")));
        part.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(part, "f0", "raccoon.png");
        var response = await submitter.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        Assert.True(await loaded.WaitAsync(TimeSpan.FromMinutes(2)), "the model was not loaded for the report's picture");
        Assert.True(model.IsLoaded);
        var id = (await RunningServer.JsonAsync(response))["id"]!.GetValue<string>();
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(120);
        while ((await RunningServer.JsonAsync(await reviewer.GetAsync($"/api/v1/reports/{id}")))["score"] is null)
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, "the report was not triaged within 120 s");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_model_file_that_is_not_onnx_stops_the_start_naming_it()
    {
        var garbage = Path.Combine(Path.GetTempPath(), "garbage-model-" + Guid.NewGuid().ToString("N") + ".onnx");
        await File.WriteAllTextAsync(garbage, "this is not a model, only text");
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() => RunningServer.StartAsync(o => o with { Robust = true, RobustModelPath = garbage }));
            Assert.Contains(garbage, error.Message, StringComparison.Ordinal);
            Assert.Contains("not an ONNX model", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(garbage);
        }
    }
}
