using Needle.Core.Access;
using Needle.Core.Audit;
using Needle.Core.Jobs;
using Needle.Core.Reports;
using Needle.Core.Storage;

namespace Needle.Storage.Tests.Contracts;

/// <summary>The contract of <see cref="IReportStore"/>.</summary>
public abstract class ReportStoreContract : StoreContract
{
    [Fact]
    public async Task Submit_then_get_returns_every_field()
    {
        var report = TestData.Report(Time.GetUtcNow().AddTicks(-7));
        var result = await SubmitAsync(report);
        Assert.Equal(new SubmitResult(report.Id, Created: true), result);

        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(report.Id, stored.Id);
        Assert.Equal(TestData.Json(report.Submission), TestData.Json(stored.Submission));
        Assert.Equal(report.Submission.IncidentTime, stored.Submission.IncidentTime);
        Assert.Equal(report.Submission.IncidentTime!.Value.Offset, stored.Submission.IncidentTime!.Value.Offset);
        Assert.Equal(ReportStatus.Received, stored.Status);
        Assert.Equal(report.ReceivedAt, stored.ReceivedAt);
        Assert.Equal(report.ReceivedAt.UtcTicks, stored.ReceivedAt.UtcTicks);
        Assert.Null(stored.ProcessedAt);
        Assert.Equal(report.SubmittedBy, stored.SubmittedBy);
        Assert.Equal(report.Files.Count, stored.Files.Count);
        for (var i = 0; i < report.Files.Count; i++)
        {
            var sent = report.Files[i];
            var file = stored.Files[i];
            Assert.Equal(sent.Id, file.Id);
            Assert.Equal(report.Id, file.ReportId);
            Assert.Equal(sent.Ordinal, file.Ordinal);
            Assert.Equal(sent.OriginalName, file.OriginalName);
            Assert.Equal(sent.ContentType, file.ContentType);
            Assert.Equal(sent.Size, file.Size);
            Assert.Equal(sent.EncryptedMedia is not null, file.HasMedia);
            Assert.Equal(sent.EncryptedMedia is null ? FileState.HashesOnly : FileState.Pending, file.State);
            Assert.Equal(sent.ReporterHashes, file.ReporterHashes);
            Assert.Null(file.Md5);
            Assert.Null(file.Pdq);
            Assert.Empty(file.Matches);
        }

        var single = await Store.Reports.GetFileAsync(report.Files[2].Id);
        Assert.NotNull(single);
        Assert.Equal(TestData.Json(stored.Files[2]), TestData.Json(single));
    }

    [Fact]
    public async Task Unknown_ids_are_null()
    {
        await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()));
        Assert.Null(await Store.Reports.GetAsync(Guid.NewGuid()));
        Assert.Null(await Store.Reports.GetFileAsync(Guid.NewGuid()));
        Assert.Null(await Store.Reports.GetMediaAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task Media_bytes_round_trip_exactly()
    {
        var report = TestData.Report(Time.GetUtcNow(), mediaSize: 300_000);
        await SubmitAsync(report);
        foreach (var file in report.Files)
        {
            var media = await Store.Reports.GetMediaAsync(file.Id);
            if (file.EncryptedMedia is null)
            {
                Assert.Null(media);
                continue;
            }

            Assert.NotNull(media);
            Assert.Equal(file.Id, media.FileId);
            Assert.Equal(report.Id, media.ReportId);
            Assert.Equal(file.ContentType, media.ContentType);
            Assert.Equal(file.OriginalName, media.OriginalName);
            Assert.Equal(file.EncryptedMedia, media.EncryptedBytes);
        }
    }

    [Fact]
    public async Task Submission_stores_a_processing_job_and_an_audit_entry()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);

        Assert.Equal(1, await Store.Jobs.CountOpenAsync());
        var job = await LeaseAsync();
        Assert.Equal(JobKinds.ProcessReport, job.Kind);
        Assert.Equal(report.Id, job.SubjectId);

        var audit = Assert.Single(await Store.Audit.ReadAsync(0, 10));
        Assert.Equal(1, audit.Sequence);
        Assert.Equal("report.submit", audit.Action);
        Assert.Equal($"report/{report.Id}", audit.Target);
        Assert.Equal(Time.GetUtcNow(), audit.At);
    }

    [Fact]
    public async Task A_repeated_idempotency_key_returns_the_first_report_and_stores_nothing()
    {
        var first = TestData.SmallReport(Time.GetUtcNow(), idempotencyKey: "key-1");
        var again = TestData.SmallReport(Time.GetUtcNow().AddSeconds(1), idempotencyKey: "key-1");
        Assert.Equal(new SubmitResult(first.Id, true), await SubmitAsync(first));
        Assert.Equal(new SubmitResult(first.Id, false), await SubmitAsync(again));

        Assert.Null(await Store.Reports.GetAsync(again.Id));
        Assert.Null(await Store.Reports.GetFileAsync(again.Files[0].Id));
        Assert.Equal(1, await Store.Jobs.CountOpenAsync());
        Assert.Single(await Store.Audit.ReadAsync(0, 10));

        // The key is per submitter, and reports without a key are never deduplicated.
        var otherSubmitter = TestData.SmallReport(Time.GetUtcNow(), idempotencyKey: "key-1", submittedBy: Guid.NewGuid());
        Assert.True((await SubmitAsync(otherSubmitter)).Created);
        Assert.True((await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()))).Created);
        Assert.True((await SubmitAsync(TestData.SmallReport(Time.GetUtcNow()))).Created);
        Assert.Equal(4, await Store.Jobs.CountOpenAsync());
    }

    [Fact]
    public async Task Listing_pages_newest_first_without_gaps_or_repeats()
    {
        var start = Time.GetUtcNow();
        var expected = new List<NewReport>();
        for (var i = 0; i < 23; i++)
        {
            // Pairs share a timestamp, so the id breaks ties across page boundaries.
            var report = TestData.SmallReport(start.AddSeconds(i / 2), files: 1);
            expected.Add(report);
            await SubmitAsync(report);
        }

        var seen = new List<ReportSummary>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await Store.Reports.ListAsync(new ReportQuery { Limit = 5, After = cursor });
            Assert.True(page.Items.Count <= 5);
            seen.AddRange(page.Items);
            cursor = page.Next;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(5, pages);
        Assert.Equal(expected.Count, seen.Count);
        Assert.Equal(expected.Select(r => r.Id).Order(), seen.Select(s => s.Id).Order());
        Assert.Equal(seen.Select(s => s.ReceivedAt).OrderDescending(), seen.Select(s => s.ReceivedAt));

        var summary = seen.Single(s => s.Id == expected[0].Id);
        Assert.Equal(new ReportSummary(expected[0].Id, "small", ReportStatus.Received, start, null, false, 1, 0), summary);
    }

    [Fact]
    public async Task Listing_filters_by_status_escalation_list_and_time_and_pages_within_the_filter()
    {
        var start = Time.GetUtcNow();
        var reports = new List<NewReport>();
        for (var i = 0; i < 12; i++)
        {
            var report = TestData.SmallReport(start.AddMinutes(i), escalate: i % 3 == 0);
            reports.Add(report);
            await SubmitAsync(report);
        }

        // Process the first six; reports 0, 2, 4 match list "known", report 4 also hits the allow list "allow". Jobs are
        // leased by priority (the escalated reports' jobs, triage ones too, come first), so the others are put aside.
        for (var done = 0; done < 6;)
        {
            var job = await LeaseAsync();
            var report = reports.Single(r => r.Id == job.SubjectId);
            var index = reports.IndexOf(report);
            if (job.Kind != JobKinds.ProcessReport)
            {
                Assert.True(await Store.Jobs.CompleteAsync(job));
                continue;
            }

            if (index >= 6)
            {
                await Store.Jobs.ReleaseAsync(job, "not part of this test", TimeSpan.FromDays(1));
                continue;
            }

            done++;
            StoredMatch[] matches = index switch
            {
                4 => [TestData.Match("known"), TestData.Match("allow", allowList: true)],
                0 or 2 => [TestData.Match("known")],
                _ => [],
            };
            Assert.True(await Store.Jobs.CompleteReportAsync(job, TestData.Results(report, matches)));
        }

        async Task<List<ReportSummary>> AllAsync(ReportQuery query)
        {
            var all = new List<ReportSummary>();
            string? cursor = null;
            do
            {
                var page = await Store.Reports.ListAsync(query with { After = cursor, Limit = 2 });
                all.AddRange(page.Items);
                cursor = page.Next;
            }
            while (cursor is not null);
            return all;
        }

        List<Guid> Ids(params int[] indexes) => [.. Enumerable.Reverse(indexes).Select(i => reports[i].Id)];

        Assert.Equal(Ids(0, 1, 2, 3, 4, 5), (await AllAsync(new ReportQuery { Status = ReportStatus.Processed })).Select(s => s.Id));
        Assert.Equal(Ids(6, 7, 8, 9, 10, 11), (await AllAsync(new ReportQuery { Status = ReportStatus.Received })).Select(s => s.Id));
        Assert.Equal(Ids(0, 3, 6, 9), (await AllAsync(new ReportQuery { Escalate = true })).Select(s => s.Id));
        Assert.Equal(Ids(0, 2, 4), (await AllAsync(new ReportQuery { ListName = "known" })).Select(s => s.Id));
        Assert.Equal(Ids(4), (await AllAsync(new ReportQuery { ListName = "allow" })).Select(s => s.Id));
        Assert.Empty(await AllAsync(new ReportQuery { ListName = "none" }));
        Assert.Equal(Ids(0, 3), (await AllAsync(new ReportQuery { Escalate = true, Status = ReportStatus.Processed })).Select(s => s.Id));

        // The received range is half-open: from inclusive, to exclusive.
        Assert.Equal(Ids(3, 4, 5, 6), (await AllAsync(new ReportQuery { ReceivedFrom = start.AddMinutes(3), ReceivedTo = start.AddMinutes(7) })).Select(s => s.Id));

        var processed = (await AllAsync(new ReportQuery { ListName = "known" })).Single(s => s.Id == reports[4].Id);
        Assert.Equal(ReportStatus.Processed, processed.Status);
        Assert.Equal(Time.GetUtcNow(), processed.ProcessedAt);
        Assert.Equal(2, processed.FileCount);
        Assert.Equal(1, processed.MatchedFileCount);
        var allowOnly = new ReportQuery { Status = ReportStatus.Processed };
        Assert.All((await AllAsync(allowOnly)).Where(s => s.Id != reports[0].Id && s.Id != reports[2].Id && s.Id != reports[4].Id), s => Assert.Equal(0, s.MatchedFileCount));
    }

    [Fact]
    public async Task Completion_stores_file_clues_and_the_jurisdiction_with_its_evidence()
    {
        var report = TestData.Report(Time.GetUtcNow());
        await SubmitAsync(report);
        var job = await LeaseAsync();
        var clues = TestData.FullClues();
        var results = TestData.Results(report).Select((r, i) => i == 0 ? r with { Clues = clues } : r).ToList();
        var jurisdiction = TestData.Jurisdiction("FR", "FR", "FR-ARA", report.Files[0].Id);
        Assert.True(await Store.Jobs.CompleteReportAsync(job, results, jurisdiction, CancellationToken.None));

        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(TestData.Json(jurisdiction), TestData.Json(stored.Jurisdiction));
        Assert.Equal(jurisdiction.Evidence[1].At, stored.Jurisdiction!.Evidence[1].At);
        Assert.Equal(TestData.Json(clues), TestData.Json(stored.Files[0].Clues));
        Assert.Null(stored.Files[1].Clues);
        Assert.Null(stored.Files[2].Clues);
        Assert.Equal(TestData.Json(clues), TestData.Json((await Store.Reports.GetFileAsync(report.Files[0].Id))!.Clues));

        var summary = Assert.Single((await Store.Reports.ListAsync(new ReportQuery())).Items);
        Assert.Equal("FR", summary.JurisdictionQueue);
        Assert.Equal("FR", summary.JurisdictionCountry);
    }

    [Fact]
    public async Task Completion_stores_a_video_summary_and_the_time_ranges_of_a_vpdq_match()
    {
        var report = TestData.Report(Time.GetUtcNow());
        await SubmitAsync(report);
        var video = new VideoSummary(10.0, 10, 320, 240, 10, 1, false, "0,100,f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000\n");
        var match = new StoredMatch("videos", 7, "source.mp4", null, "vpdq", "vpdq:60 frames", 0, "original", false)
        {
            Video = new VideoMatchDetails("clip", 100, 16.667, [new MatchedTimeRange(0, 10, 20, 30), new MatchedTimeRange(12.5, 14, 40, 41.5)]),
        };
        var plain = new StoredMatch("photos", 3, "p", "A1", "md5", new string('1', 32), 0, "original", false);
        var results = TestData.Results(report, match, plain).Select((r, i) => i == 0 ? r with { Video = video, Format = "video" } : r).ToList();
        Assert.True(await Store.Jobs.CompleteReportAsync(await LeaseAsync(), results));

        var stored = (await Store.Reports.GetAsync(report.Id))!;
        Assert.Equal(video, stored.Files[0].Video);
        Assert.Null(stored.Files[1].Video);
        Assert.Equal(TestData.Json(match.Video), TestData.Json(stored.Files[0].Matches[0].Video));
        Assert.Null(stored.Files[0].Matches[1].Video);
        var file = (await Store.Reports.GetFileAsync(report.Files[0].Id))!;
        Assert.Equal(video, file.Video);
        Assert.Equal(TestData.Json(match.Video), TestData.Json(file.Matches[0].Video));
    }

    [Fact]
    public async Task Completion_without_a_jurisdiction_leaves_it_null()
    {
        var report = TestData.SmallReport(Time.GetUtcNow());
        await SubmitAsync(report);
        Assert.True(await Store.Jobs.CompleteReportAsync(await LeaseAsync(), TestData.Results(report)));
        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.Null(stored!.Jurisdiction);
        Assert.All(stored.Files, f => Assert.Null(f.Clues));
        var summary = Assert.Single((await Store.Reports.ListAsync(new ReportQuery())).Items);
        Assert.Null(summary.JurisdictionQueue);
        Assert.Null(summary.JurisdictionCountry);
    }

    [Fact]
    public async Task Listing_filters_by_jurisdiction_queue_and_country_and_pages_within_the_filter()
    {
        var start = Time.GetUtcNow();
        (string Queue, string? Country)[] routes =
        [
            ("FR", "FR"), ("international", null), ("CA: OPP", "CA"), ("FR", "FR"), ("international", "BR"), ("FR", "FR"), ("CA: OPP", "CA"),
        ];
        var reports = new List<NewReport>();
        for (var i = 0; i < routes.Length + 2; i++)
        {
            var report = TestData.SmallReport(start.AddMinutes(i));
            reports.Add(report);
            await SubmitAsync(report);
        }

        // The last two stay received: no jurisdiction yet.
        for (var i = 0; i < routes.Length; i++)
        {
            var job = await LeaseAsync();
            var index = reports.FindIndex(r => r.Id == job.SubjectId);
            var (queue, country) = routes[index];
            Assert.True(await Store.Jobs.CompleteReportAsync(job, TestData.Results(reports[index]), TestData.Jurisdiction(queue, country), CancellationToken.None));
        }

        async Task<List<Guid>> AllAsync(ReportQuery query)
        {
            var all = new List<Guid>();
            string? cursor = null;
            do
            {
                var page = await Store.Reports.ListAsync(query with { After = cursor, Limit = 2 });
                all.AddRange(page.Items.Select(s => s.Id));
                cursor = page.Next;
            }
            while (cursor is not null);
            return all;
        }

        List<Guid> Ids(params int[] indexes) => [.. Enumerable.Reverse(indexes).Select(i => reports[i].Id)];

        Assert.Equal(Ids(0, 3, 5), await AllAsync(new ReportQuery { JurisdictionQueue = "FR" }));
        Assert.Equal(Ids(2, 6), await AllAsync(new ReportQuery { JurisdictionQueue = "CA: OPP" }));
        Assert.Equal(Ids(1, 4), await AllAsync(new ReportQuery { JurisdictionQueue = "international" }));
        Assert.Empty(await AllAsync(new ReportQuery { JurisdictionQueue = "fr" }));
        Assert.Equal(Ids(0, 3, 5), await AllAsync(new ReportQuery { Country = "FR" }));
        Assert.Equal(Ids(0, 3, 5), await AllAsync(new ReportQuery { Country = "fr" }));
        Assert.Equal(Ids(4), await AllAsync(new ReportQuery { Country = "BR" }));
        Assert.Equal(Ids(4), await AllAsync(new ReportQuery { JurisdictionQueue = "international", Country = "BR" }));
        Assert.Empty(await AllAsync(new ReportQuery { Country = "NL" }));
        Assert.Equal(Ids(3, 5), await AllAsync(new ReportQuery { JurisdictionQueue = "FR", ReceivedFrom = start.AddMinutes(3) }));
    }

    [Fact]
    public async Task Listing_clamps_the_limit_and_rejects_a_bad_cursor()
    {
        for (var i = 0; i < 3; i++)
        {
            await SubmitAsync(TestData.SmallReport(Time.GetUtcNow().AddSeconds(i), files: 0));
        }

        var one = await Store.Reports.ListAsync(new ReportQuery { Limit = 0 });
        Assert.Single(one.Items);
        Assert.NotNull(one.Next);
        var all = await Store.Reports.ListAsync(new ReportQuery { Limit = 100_000 });
        Assert.Equal(3, all.Items.Count);
        Assert.Null(all.Next);
        await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.Reports.ListAsync(new ReportQuery { After = "not a cursor!" }));
    }

    [Fact]
    public async Task Concurrent_submissions_are_all_stored()
    {
        const int Tasks = 8;
        const int PerTask = 15;
        var reports = Enumerable.Range(0, Tasks * PerTask).Select(i => TestData.SmallReport(Time.GetUtcNow().AddTicks(i))).ToList();
        await Task.WhenAll(Enumerable.Range(0, Tasks).Select(t => Task.Run(async () =>
        {
            foreach (var report in reports.Skip(t * PerTask).Take(PerTask))
            {
                Assert.True((await SubmitAsync(report)).Created);
            }
        })));

        foreach (var report in reports)
        {
            var stored = await Store.Reports.GetAsync(report.Id);
            Assert.NotNull(stored);
            Assert.Equal(2, stored.Files.Count);
        }

        Assert.Equal(reports.Count, await Store.Jobs.CountOpenAsync());
        var verification = await AuditChain.VerifyAsync(Store.Audit);
        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(reports.Count, verification.EntriesChecked);
    }

    [Fact]
    public async Task A_failing_submission_stores_nothing_and_disturbs_no_other()
    {
        var good = Enumerable.Range(0, 12).Select(i => TestData.SmallReport(Time.GetUtcNow().AddTicks(i))).ToList();
        var bad = TestData.SmallReport(Time.GetUtcNow());
        bad = bad with { Files = [bad.Files[0], bad.Files[1] with { Id = bad.Files[0].Id }] };

        var submissions = good.Select(r => Task.Run(() => SubmitAsync(r))).ToList();
        var failing = Task.Run(() => SubmitAsync(bad));
        await Assert.ThrowsAnyAsync<Exception>(() => failing);
        await Task.WhenAll(submissions);

        Assert.Null(await Store.Reports.GetAsync(bad.Id));
        Assert.Null(await Store.Reports.GetMediaAsync(bad.Files[0].Id));
        foreach (var report in good)
        {
            Assert.NotNull(await Store.Reports.GetAsync(report.Id));
        }

        Assert.Equal(good.Count, await Store.Jobs.CountOpenAsync());
        var verification = await AuditChain.VerifyAsync(Store.Audit);
        Assert.True(verification.IsIntact, verification.Problem);
        Assert.Equal(good.Count, verification.EntriesChecked);
        Assert.DoesNotContain(await Store.Audit.ReadAsync(0, 100), e => e.Target == $"report/{bad.Id}");
    }

    [Fact]
    public async Task Written_data_survives_closing_and_reopening()
    {
        var report = TestData.Report(Time.GetUtcNow());
        await SubmitAsync(report);
        await Store.Keys.CreateAsync(new ApiKeyRecord(Guid.NewGuid(), "k", ApiRole.Admin, [1], [2], Time.GetUtcNow(), null, null), TestData.AdminAudit("key.create"));

        await ReopenAsync();

        var stored = await Store.Reports.GetAsync(report.Id);
        Assert.NotNull(stored);
        Assert.Equal(TestData.Json(report.Submission), TestData.Json(stored.Submission));
        Assert.Equal(report.Files[0].EncryptedMedia, (await Store.Reports.GetMediaAsync(report.Files[0].Id))!.EncryptedBytes);
        Assert.Equal(1, await Store.Keys.CountAsync());
        Assert.Equal(1, await Store.Jobs.CountOpenAsync());
        Assert.True((await AuditChain.VerifyAsync(Store.Audit)).IsIntact);
        Assert.True(await Store.IsHealthyAsync());
    }
}
