using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Needle.Core.Access;
using Needle.Core.Storage;
using Needle.Core.Triage;
using Needle.Testing.Images;
using Needle.Testing.Metadata;
using Needle.Testing.Server;
using Needle.Video;

namespace Needle.Web.Tests;

/// <summary>
/// One real Needle server (temporary SQLite file, real workers) with a known-material list and four reports submitted
/// through the API and triaged, plus headless Chromium (Debian's, at /usr/bin/chromium) driving it. Shared by the review
/// page tests, which run one after another.
/// </summary>
public sealed class ReviewSite : IAsyncLifetime
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string KnownList = "known-landscapes";

    private static readonly (double, double) Lyon = (45.764, 4.8357);

    private RunningServer? _server;
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    internal RunningServer Server => _server ?? throw new InvalidOperationException("not started");

    public IBrowser Browser => _browser ?? throw new InvalidOperationException("not started");

    public Uri BaseAddress => Server.BaseAddress;

    public string AdminKey => Server.AdminKey;

    public string ReviewerKey { get; private set; } = "";

    /// <summary>A second reviewer ("Analyst B"), for claims held by someone else.</summary>
    public string SecondReviewerKey { get; private set; } = "";

    /// <summary>A third reviewer ("Analyst C"), for personal shortcut keys.</summary>
    public string ThirdReviewerKey { get; private set; } = "";

    /// <summary>The key id of <see cref="ThirdReviewerKey"/> (the actor the store knows).</summary>
    public Guid ThirdReviewerId { get; private set; }

    /// <summary>One file given by its hash only (nothing to look at): unassessable, not possibly new.</summary>
    public Guid HashOnlyReport { get; private set; }

    /// <summary>24 near-duplicates of one photo (one series).</summary>
    public Guid SeriesReport { get; private set; }

    /// <summary>Six different photos, for the focus test.</summary>
    public Guid FocusReport { get; private set; }

    /// <summary>A photo whose exact copy is <see cref="UndoCopyReport"/>, for the undo test.</summary>
    public Guid UndoReport { get; private set; }

    /// <summary>The exact copy of <see cref="UndoReport"/>'s photo, in another report.</summary>
    public Guid UndoCopyReport { get; private set; }

    /// <summary>A report Analyst A holds while Analyst B looks at it.</summary>
    public Guid ClaimReport { get; private set; }

    public string AuditorKey { get; private set; } = "";

    public string SubmitterKey { get; private set; } = "";

    /// <summary>Known material only (matches <see cref="KnownList"/>).</summary>
    public Guid KnownReport { get; private set; }

    /// <summary>Media matching nothing, with a GPS fix in Lyon and camera metadata.</summary>
    public Guid UnknownReport { get; private set; }

    /// <summary>Escalated by the reporter (a child may be in danger).</summary>
    public Guid EscalatedReport { get; private set; }

    /// <summary>Two unknown images, for the decision test.</summary>
    public Guid DecisionReport { get; private set; }

    /// <summary>Two unknown images, for the reveal test.</summary>
    public Guid RevealReport { get; private set; }

    /// <summary>A short generated video (ffmpeg's test pattern).</summary>
    public Guid VideoReport { get; private set; }

    /// <summary>Another copy of the listed picture, for the false-positive test.</summary>
    public Guid FalsePositiveReport { get; private set; }

    /// <summary>Where the screenshots go: TestResults/screenshots under the test output folder.</summary>
    public static string ScreenshotFolder { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public INeedleStore Store => Server.App.Services.GetRequiredService<INeedleStore>();

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(ChromiumPath), $"Chromium is not installed at {ChromiumPath} (apt-get install chromium; .ci/run installs it).");
        // Decisions made on the pages can be undone for an hour here: a test ends the window itself (FlushAsync), so
        // nothing depends on how fast the browser is.
        _server = await RunningServer.StartAsync(o => o with { Workers = 2, DecisionUndoWindow = TimeSpan.FromHours(1) });
        ReviewerKey = (await Server.CreateKeyAsync(ApiRole.Reviewer, "Analyst A")).Key;
        SecondReviewerKey = (await Server.CreateKeyAsync(ApiRole.Reviewer, "Analyst B")).Key;
        (ThirdReviewerId, ThirdReviewerKey) = await Server.CreateKeyAsync(ApiRole.Reviewer, "Analyst C");
        AuditorKey = (await Server.CreateKeyAsync(ApiRole.Auditor, "Auditor")).Key;
        SubmitterKey = (await Server.CreateKeyAsync(ApiRole.Submitter, "Platform")).Key;

        // A known-material list holding one landscape photo.
        var admin = Server.Client(AdminKey);
        var created = await admin.PostAsync("/api/v1/lists", Json(new { name = KnownList, kind = "known" }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var entry = new MultipartFormDataContent { { Image(TestJpegs.Photo("p05_branches.png", 512, 384)), "file", "branches.jpg" }, { new StringContent("branches (test)"), "label" } };
        var added = await admin.PostAsync($"/api/v1/lists/{KnownList}/entries", entry);
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);

        // The test video is listed too (by its vPDQ hash), so its report shows which time ranges matched.
        var video = await TestVideoAsync();
        var listedVideo = await admin.PostAsJsonAsync($"/api/v1/lists/{KnownList}/entries", new
        {
            entries = new[] { new { signalType = "vpdq", value = VideoListIndex.FormatValue(HashVideo(video).Frames), label = "test pattern (test)" } },
        });
        Assert.Equal(HttpStatusCode.Created, listedVideo.StatusCode);

        var submitter = Server.Client(SubmitterKey);
        KnownReport = await SubmitAsync(submitter, new
        {
            externalId = "KNOWN-COPY",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = new object[] { new { part = "f1", originalName = "branches-copy.jpg" } },
        }, ("f1", "branches-copy.jpg", TestJpegs.Photo("p05_branches.png", 400, 300)));
        UnknownReport = await SubmitAsync(submitter, new
        {
            externalId = "NEW-LYON",
            incidentType = "child-pornography",
            description = "Image shared in a public group.",
            reporter = new { organisation = "Example Platform", email = "trust@example.org" },
            reportedPerson = new { screenNames = new[] { "test_account_1" }, emails = new[] { "someone@example.org" } },
            files = new object[] { new { part = "f1", originalName = "garden.jpg" } },
        }, ("f1", "garden.jpg", CameraJpeg("p01_keong_macan.png", Lyon)));
        EscalatedReport = await SubmitAsync(submitter, new
        {
            externalId = "ESCALATED",
            incidentType = "online-enticement",
            escalate = true,
            escalationReason = "Reporter believes the child is in immediate danger.",
            reporter = new { organisation = "Hotline Partner" },
            files = new object[] { new { part = "f1", originalName = "field.jpg" } },
        }, ("f1", "field.jpg", TestJpegs.Photo("p07_gophers.png", 480, 360)));
        DecisionReport = await SubmitAsync(submitter, new
        {
            externalId = "TO-DECIDE",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = new object[] { new { part = "f1", originalName = "flowers.jpg" }, new { part = "f2", originalName = "bluebells.jpg" } },
        }, ("f1", "flowers.jpg", TestJpegs.Photo("p04_flowers.png", 480, 360)), ("f2", "bluebells.jpg", TestJpegs.Photo("p09_bluebells.png", 480, 360)));

        RevealReport = await SubmitAsync(submitter, new
        {
            externalId = "TO-REVEAL",
            incidentType = "child-pornography",
            reporter = new { organisation = "Member of the public" },
            files = new object[] { new { part = "f1", originalName = "flower.jpg" }, new { part = "f2", originalName = "rose.jpg" } },
        }, ("f1", "flower.jpg", TestJpegs.Photo("p03_flower.png", 480, 360)), ("f2", "rose.jpg", TestJpegs.Photo("p06_yellow_rose.png", 480, 360)));

        VideoReport = await SubmitAsync(submitter, new
        {
            externalId = "VIDEO",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = new object[] { new { part = "f1", originalName = "clip.mp4" } },
        }, ("f1", "clip.mp4", video));

        FalsePositiveReport = await SubmitAsync(submitter, new
        {
            externalId = "FP-COPY",
            incidentType = "child-pornography",
            reporter = new { organisation = "Other Platform" },
            files = new object[] { new { part = "f1", originalName = "branches-small.jpg" } },
        }, ("f1", "branches-small.jpg", TestJpegs.Photo("p05_branches.png", 320, 240)));

        var series = Enumerable.Range(0, 24).Select(i => ($"f{i}", $"raccoon-{i + 1:00}.jpg", TestJpegs.Photo("p28_raccoon.png", 240 + (4 * i), 180 + (3 * i), 70 + i))).ToArray();
        SeriesReport = await SubmitAsync(submitter, new
        {
            externalId = "SERIES-24",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = series.Select(s => (object)new { part = s.Item1, originalName = s.Item2 }).ToArray(),
        }, series);

        var photos = new[] { "p29_koala.png", "p30_camel.png", "p31_cep_mushroom.png", "p32_peacock.png", "p33_squirrel.png", "p38_wombat.png" };
        var focus = photos.Select((name, i) => ($"f{i}", name.Replace(".png", ".jpg", StringComparison.Ordinal), TestJpegs.Photo(name, 480, 360))).ToArray();
        FocusReport = await SubmitAsync(submitter, new
        {
            externalId = "SIX-FILES",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = focus.Select(s => (object)new { part = s.Item1, originalName = s.Item2 }).ToArray(),
        }, focus);

        var giraffe = TestJpegs.Photo("p39_giraffe.png", 480, 360);
        UndoReport = await SubmitAsync(submitter, new
        {
            externalId = "UNDO",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = new object[] { new { part = "f1", originalName = "giraffe.jpg" } },
        }, ("f1", "giraffe.jpg", giraffe));
        UndoCopyReport = await SubmitAsync(submitter, new
        {
            externalId = "UNDO-COPY",
            incidentType = "child-pornography",
            reporter = new { organisation = "Other Platform" },
            files = new object[] { new { part = "f1", originalName = "giraffe-again.jpg" } },
        }, ("f1", "giraffe-again.jpg", giraffe));
        ClaimReport = await SubmitAsync(submitter, new
        {
            externalId = "HELD",
            incidentType = "child-pornography",
            reporter = new { organisation = "Example Platform" },
            files = new object[] { new { part = "f1", originalName = "nebula.jpg" } },
        }, ("f1", "nebula.jpg", TestJpegs.Photo("p40_crab_nebula.png", 480, 360)));

        HashOnlyReport = await SubmitAsync(submitter, new
        {
            externalId = "HASH-ONLY",
            incidentType = "child-pornography",
            reporter = new { organisation = "Other Platform" },
            files = new object[] { new { originalName = "gone.jpg", hashes = new { md5 = "0123456789abcdef0123456789abcdef" } } },
        });

        foreach (var id in new[] { KnownReport, UnknownReport, EscalatedReport, DecisionReport, RevealReport, VideoReport, FalsePositiveReport, SeriesReport, FocusReport, UndoReport, UndoCopyReport, ClaimReport, HashOnlyReport })
        {
            await WaitTriagedAsync(id);
        }

        Directory.CreateDirectory(ScreenshotFolder);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,

            // The CI container runs as root, where Chromium's sandbox cannot start.
            Args = ["--no-sandbox"],
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>A fresh browser context (its own cookies) with a page signed in with <paramref name="key"/>.</summary>
    public async Task<IPage> SignedInPageAsync(string key, int width = 1360)
    {
        var page = await NewPageAsync(width);
        await page.GotoAsync("/signin");
        await page.FillAsync("#key", key);
        // Wait for the page the sign-in leads to (not for a load state, which may belong to the page being left).
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(static url => !url.Contains("/signin", StringComparison.Ordinal));
        Assert.DoesNotContain("/signin", page.Url, StringComparison.Ordinal);
        return page;
    }

    public async Task<IPage> NewPageAsync(int width = 1360)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = BaseAddress.ToString().TrimEnd('/'),
            ViewportSize = new ViewportSize { Width = width, Height = 900 },
        });
        return await context.NewPageAsync();
    }

    /// <summary>Ends every undo window now: the decisions made on the pages spread to their copies (as when the window passes).</summary>
    public Task EndUndoWindowsAsync() => Server.App.Services.GetRequiredService<Needle.Application.Review.DecisionUndoWindow>().FlushAsync();

    /// <summary>Saves a full-page PNG as a test artifact.</summary>
    public static async Task ScreenshotAsync(IPage page, string name) =>
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ScreenshotFolder, name + ".png"), FullPage = true });

    /// <summary>Waits until the report is processed and triaged (it has a score).</summary>
    public async Task WaitTriagedAsync(Guid id)
    {
        // A guard against a stuck pipeline, not a speed check: the machine may be busy with other builds.
        var deadline = TimeProvider.System.GetUtcNow().AddSeconds(300);
        while (await Store.Triage.GetScoreAsync(id) is not { State: not ReviewState.Untriaged })
        {
            Assert.True(TimeProvider.System.GetUtcNow() < deadline, $"report {id} was not triaged within 300 s");
            await Task.Delay(100);
        }
    }

    private static byte[] CameraJpeg(string photo, (double, double) gps) => JpegMetadataWriter.Splice(
        TestJpegs.Photo(photo, 640, 480),
        JpegMetadataWriter.ExifSegment(new ExifSpec
        {
            Make = "NIKON CORPORATION",
            Model = "NIKON D750",
            DateTimeOriginal = "2024:06:15 10:20:30",
            OffsetTimeOriginal = "+02:00",
            BodySerialNumber = "6012345",
            Gps = gps,
        }));

    /// <summary>The vPDQ hash of a video, through a temporary file as the server makes it.</summary>
    private static VideoHash HashVideo(byte[] video)
    {
        var path = Path.Combine(Path.GetTempPath(), "needle-web-test-" + Guid.NewGuid().ToString("N") + ".mp4");
        File.WriteAllBytes(path, video);
        try
        {
            return new VideoHasher().Hash(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Six seconds of ffmpeg's colour test pattern with a tone, as MP4 (real ffmpeg, as the server uses).</summary>
    private static async Task<byte[]> TestVideoAsync()
    {
        var path = Path.Combine(Path.GetTempPath(), "needle-web-test-" + Guid.NewGuid().ToString("N") + ".mp4");
        var info = new System.Diagnostics.ProcessStartInfo("ffmpeg") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=6", "-f", "lavfi", "-i", "sine=frequency=440:duration=6", "-pix_fmt", "yuv420p", "-shortest", path })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = System.Diagnostics.Process.Start(info)!;
        var errors = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, "ffmpeg could not make the test video: " + errors);
        try
        {
            return await File.ReadAllBytesAsync(path);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static StringContent Json(object value) => new(JsonSerializer.Serialize(value), Encoding.UTF8, "application/json");

    private static ByteArrayContent Image(byte[] bytes, string contentType = "image/jpeg")
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return content;
    }

    private static async Task<Guid> SubmitAsync(HttpClient client, object report, params (string Part, string Name, byte[] Bytes)[] files)
    {
        var form = new MultipartFormDataContent { { new StringContent(JsonSerializer.Serialize(report), Encoding.UTF8, "application/json"), "report" } };
        foreach (var (part, name, bytes) in files)
        {
            form.Add(Image(bytes, name.EndsWith(".mp4", StringComparison.Ordinal) ? "video/mp4" : "image/jpeg"), part, name);
        }

        var response = await client.PostAsync("/api/v1/reports", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return Guid.Parse((await RunningServer.JsonAsync(response))["id"]!.GetValue<string>());
    }
}
