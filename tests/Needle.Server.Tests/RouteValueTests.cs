using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using Needle.Core.Access;
using Needle.Testing.Server;

namespace Needle.Server.Tests;

/// <summary>
/// A malformed id in a route is a 400 problem naming the parameter, an unknown one a 404, whatever the role; the
/// route's own authorization still comes first. A normal page view logs no warning.
/// </summary>
public sealed class RouteValueTests
{
    [Theory]
    [InlineData("/api/v1/reports/REPORT_ID", "id")]
    [InlineData("/api/v1/reports/REPORT_ID/related", "id")]
    [InlineData("/api/v1/reports/12345", "id")]
    public async Task A_malformed_report_id_is_a_400_naming_the_parameter(string path, string parameter)
    {
        await using var server = await RunningServer.StartAsync();
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);

        var response = await reviewer.GetAsync(path);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await RunningServer.JsonAsync(response);
        Assert.Equal($"The route parameter '{parameter}' is malformed.", problem["detail"]!.GetValue<string>());
        Assert.Contains(problem["errors"]!.AsArray(), e => e!.GetValue<string>().StartsWith(parameter + ": '", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_report_id_is_a_404_and_roles_and_keys_still_count()
    {
        await using var server = await RunningServer.StartAsync();
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var submitter = server.Client((await server.CreateKeyAsync(ApiRole.Submitter)).Key);

        Assert.Equal(HttpStatusCode.NotFound, (await reviewer.GetAsync($"/api/v1/reports/{Guid.NewGuid()}")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await server.Client().GetAsync("/api/v1/reports/REPORT_ID")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await submitter.GetAsync("/api/v1/reports/REPORT_ID")).StatusCode);
    }

    [Fact]
    public async Task A_malformed_second_id_or_entry_number_is_named_too()
    {
        await using var server = await RunningServer.StartAsync();
        var reviewer = server.Client((await server.CreateKeyAsync(ApiRole.Reviewer)).Key);
        var admin = server.Client(server.AdminKey);

        var decision = await reviewer.PostAsync("/api/v1/files/FILE_ID/decision", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, decision.StatusCode);
        Assert.Equal("The route parameter 'id' is malformed.", (await RunningServer.JsonAsync(decision))["detail"]!.GetValue<string>());

        var entry = await admin.DeleteAsync("/api/v1/lists/known/entries/first");
        Assert.Equal(HttpStatusCode.BadRequest, entry.StatusCode);
        Assert.Equal("The route parameter 'id' is malformed.", (await RunningServer.JsonAsync(entry))["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_sign_in_page_logs_no_warning()
    {
        await using var server = await RunningServer.StartAsync();
        var logs = new CapturedLogs();
        server.App.Services.GetRequiredService<ILoggerFactory>().AddProvider(logs);

        var page = await server.Client().GetAsync("/signin");
        var again = await server.Client().GetAsync("/signin");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Contains("no-store", page.Headers.CacheControl?.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Warning);
    }

    private sealed class CapturedLogs : ILoggerProvider
    {
        public ConcurrentQueue<(LogLevel Level, string Category, string Message)> Entries { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturedLogs owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                owner.Entries.Enqueue((logLevel, category, formatter(state, exception)));
        }
    }
}
