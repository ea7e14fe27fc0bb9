using Needle.Application.Triage;
using Needle.Core.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Triage;
using Needle.Testing;

namespace Needle.Application.Tests;

public sealed class ReportPrioritizerTests
{
    private static readonly DateTimeOffset Received = new(2025, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly ReportPrioritizer Prioritizer = new(ScoringOptions.Default);
    private static readonly IReadOnlyDictionary<Guid, FileDecision> NoDecisions = new Dictionary<Guid, FileDecision>();

    private static StoredFile File(Guid reportId, bool known = false, FileClues? clues = null) => new()
    {
        Id = Guid.NewGuid(),
        ReportId = reportId,
        Ordinal = 0,
        State = FileState.Hashed,
        HasMedia = true,
        Md5 = "00",
        Matches = known ? [new StoredMatch("provider", 1, "x", "1", "pdq", "ab", 4, "original", false)] : [],
        Clues = clues,
    };

    private static StoredReport Report(ReportSubmission? submission = null, Func<Guid, StoredFile[]>? files = null, ReportJurisdiction? jurisdiction = null)
    {
        var id = Guid.NewGuid();
        return new StoredReport
        {
            Id = id,
            Submission = submission ?? new ReportSubmission(),
            Status = ReportStatus.Processed,
            ReceivedAt = Received,
            SubmittedBy = Guid.NewGuid(),
            Files = files?.Invoke(id) ?? [],
            Jurisdiction = jurisdiction,
        };
    }

    private static FileDecision Decision(StoredFile file, DecisionCategory category, DecisionSource source) => new()
    {
        Id = 1,
        FileId = file.Id,
        ReportId = file.ReportId,
        Category = category,
        Source = source,
        Actor = "a",
        At = Received,
    };

    private static PriorityScore Score(StoredReport report, IReadOnlyDictionary<Guid, FileDecision>? decisions = null, IReadOnlyList<ReportLink>? links = null) =>
        Prioritizer.Score(report, decisions ?? NoDecisions, links ?? [], Received.AddHours(1));

    [Fact]
    public void UnknownMediaOutranksKnownMediaAndEscalationOutranksBoth()
    {
        var unknown = Score(Report(files: r => [File(r)]));
        var known = Score(Report(files: r => [File(r, known: true)]));
        var escalatedKnown = Score(Report(new ReportSubmission { Escalate = true, EscalationReason = "live stream" }, r => [File(r, known: true)]));

        Assert.True(unknown.Value > known.Value, $"{unknown.Value} > {known.Value}");
        Assert.True(escalatedKnown.Value > unknown.Value);
        Assert.Equal([ReportPrioritizer.UnknownMedia], unknown.Reasons.Select(r => r.Code));
        Assert.Equal([ReportPrioritizer.KnownMedia], known.Reasons.Select(r => r.Code));
        var escalated = escalatedKnown.Reasons[0];
        Assert.Equal((ReportPrioritizer.Escalated, 2000.0), (escalated.Code, escalated.Weight));
        Assert.Contains("live stream", escalated.Text, StringComparison.Ordinal);
        Assert.All([unknown, known, escalatedKnown], s => Assert.Equal(ReviewState.AwaitingReview, s.State));
        Assert.All([unknown, known, escalatedKnown], s => Assert.Equal(s.Reasons.Sum(r => r.Weight), s.Value));
    }

    [Fact]
    public void AnEscalatedReportOutranksTheBestScoringOtherReport()
    {
        var everything = Report(
            new ReportSubmission { ReportedPerson = new ReportedPerson() },
            r => [.. Enumerable.Range(0, 40).Select(_ => File(r, clues: new FileClues { Gps = new GpsClue(1, 2, null, null, "FR", null, null, null), Captured = "2025-02-27T10:00:00" }))],
            new ReportJurisdiction { Queue = "FR", Basis = "ip", Rule = "FR", Evidence = [new JurisdictionEvidence { Kind = "ip", Country = "FR" }] });
        var links = Enumerable.Range(0, 10).Select(_ => new ReportLink(everything.Id, Guid.NewGuid(), LinkKind.Email, "a@b", null, null, null, Received)).ToList();
        var best = Score(everything, links: links);
        var escalated = Score(Report(new ReportSubmission { Escalate = true }));

        Assert.True(escalated.Value > best.Value, $"{escalated.Value} > {best.Value}");
    }

    [Fact]
    public void LocationRecentCaptureLinksAndFileCountAddCappedReasons()
    {
        var report = Report(
            files: r =>
            [
                File(r, clues: new FileClues { Gps = new GpsClue(48.85, 2.35, null, null, "FR", "France", null, null), Captured = "2025-02-20T18:00:00+01:00" }),
                File(r, known: true, clues: new FileClues { Captured = "2019-01-01T10:00:00" }),
                File(r),
            ],
            jurisdiction: new ReportJurisdiction
            {
                Queue = "FR",
                Basis = "gps",
                Rule = "FR",
                Evidence = [new JurisdictionEvidence { Kind = "ip", Ip = "192.0.2.1", Country = "BE" }, new JurisdictionEvidence { Kind = "ip", Ip = "10.0.0.1" }],
            });
        var other = Guid.NewGuid();
        var links = new List<ReportLink>
        {
            new(report.Id, other, LinkKind.Email, "a@example.org", null, null, null, Received),
            new(report.Id, other, LinkKind.IpAddress, "192.0.2.1", null, null, null, Received),
            new(report.Id, Guid.NewGuid(), LinkKind.DeviceId, "d1", null, null, null, Received),
            new(report.Id, Guid.NewGuid(), LinkKind.SameMedia, "sha256:00", report.Files[1].Id, Guid.NewGuid(), null, Received),
        };

        var score = Score(report, links: links);

        var reasons = score.Reasons.ToDictionary(r => r.Code);
        Assert.Equal(
            [ReportPrioritizer.UnknownMedia, ReportPrioritizer.KnownMedia, ReportPrioritizer.GpsLocation, ReportPrioritizer.IpLocation,
                ReportPrioritizer.RecentCapture, ReportPrioritizer.LinkedReports, ReportPrioritizer.ManyFiles],
            score.Reasons.Select(r => r.Code));
        Assert.Equal(300 + 100, reasons[ReportPrioritizer.UnknownMedia].Weight);
        Assert.Equal("2 files match nothing known (possibly new material)", reasons[ReportPrioritizer.UnknownMedia].Text);
        Assert.Contains("BE", reasons[ReportPrioritizer.IpLocation].Text, StringComparison.Ordinal);
        Assert.Equal("1 file captured within 30 days before the report", reasons[ReportPrioritizer.RecentCapture].Text);

        // Two other reports share something of the reported person; the media link (viral content) does not count.
        Assert.Equal(2 * 40, reasons[ReportPrioritizer.LinkedReports].Weight);
        Assert.Equal(2 * 2, reasons[ReportPrioritizer.ManyFiles].Weight);

        var large = Score(Report(files: r => [.. Enumerable.Range(0, 128).Select(_ => File(r))]));
        Assert.Equal(300 + (7 * 100), large.Reasons.Single(r => r.Code == ReportPrioritizer.UnknownMedia).Weight, 6);
        Assert.Equal(25 * 2, large.Reasons.Single(r => r.Code == ReportPrioritizer.ManyFiles).Weight);
    }

    [Fact]
    public void KnownMaterialAllDecidedElsewhereIsInformationalAndAnAnalystDecisionMakesItReviewed()
    {
        var report = Report(files: r => [File(r, known: true), File(r, known: true)]);
        var sameHash = report.Files.ToDictionary(f => f.Id, f => Decision(f, DecisionCategory.ChildAbuseMaterial, DecisionSource.SameHash));
        var informational = Score(report, sameHash);

        Assert.Equal(ReviewState.Informational, informational.State);
        Assert.Contains(informational.Reasons, r => r is { Code: ReportPrioritizer.InformationalOnly, Weight: < 0 });
        Assert.True(informational.Value < Score(report).Value);

        var oneByAnalyst = new Dictionary<Guid, FileDecision>(sameHash) { [report.Files[0].Id] = Decision(report.Files[0], DecisionCategory.ChildAbuseMaterial, DecisionSource.Analyst) };
        Assert.Equal(ReviewState.Reviewed, Score(report, oneByAnalyst).State);

        var oneLeft = new Dictionary<Guid, FileDecision> { [report.Files[0].Id] = sameHash[report.Files[0].Id] };
        Assert.Equal(ReviewState.AwaitingReview, Score(report, oneLeft).State);

        // Needs escalation keeps it in the queue, very high; an escalated report is never closed unseen.
        var escalation = new Dictionary<Guid, FileDecision>(sameHash) { [report.Files[1].Id] = Decision(report.Files[1], DecisionCategory.NeedsEscalation, DecisionSource.Analyst) };
        var needsEscalation = Score(report, escalation);
        Assert.Equal(ReviewState.AwaitingReview, needsEscalation.State);
        Assert.Equal(1500, needsEscalation.Reasons.Single(r => r.Code == ReportPrioritizer.NeedsEscalation).Weight);
        var escalated = Report(new ReportSubmission { Escalate = true }, r => [File(r, known: true)]);
        Assert.Equal(ReviewState.AwaitingReview, Score(escalated, escalated.Files.ToDictionary(f => f.Id, f => Decision(f, DecisionCategory.ChildAbuseMaterial, DecisionSource.SameHash))).State);
    }

    [Fact]
    public void TheSameInputsGiveTheSameScore()
    {
        var report = Report(files: r => [File(r), File(r, known: true)]);
        Assert.Equal(Score(report).Reasons, Score(report).Reasons);
        Assert.Equal(ReviewState.Untriaged, Score(report with { Status = ReportStatus.Received }).State);
    }

    [Fact]
    public void TheExampleOptionsFileHoldsTheDefaults()
    {
        var example = ScoringOptions.Load(Path.Combine(TestPaths.RepositoryRoot, "docs", "scoring.example.json"));
        Assert.Equal(ScoringOptions.Default, example);
    }

    [Fact]
    public void OptionsLoadFromAFileAndBadValuesNameTheFile()
    {
        var folder = Directory.CreateTempSubdirectory("needle-scoring-").FullName;
        try
        {
            var good = Path.Combine(folder, "scoring.json");
            System.IO.File.WriteAllText(good, """{ "escalated": 5000, "firstUnknownFile": 400, "claimDuration": "00:10:00", "organisationList": "hotline-confirmed" }""");
            var loaded = ScoringOptions.Load(good);
            Assert.Equal((5000.0, 400.0, TimeSpan.FromMinutes(10), "hotline-confirmed", 31), (loaded.Escalated, loaded.FirstUnknownFile, loaded.ClaimDuration, loaded.OrganisationList, loaded.NearDuplicateDistance));

            var bad = Path.Combine(folder, "bad.json");
            System.IO.File.WriteAllText(bad, """{ "nearDuplicateDistance": 300, "maxLinks": 0, "organisationList": "bad name!" }""");
            var error = Assert.Throws<InvalidDataException>(() => ScoringOptions.Load(bad));
            Assert.Contains(bad, error.Message, StringComparison.Ordinal);
            Assert.Contains("nearDuplicateDistance must be 0 to 128", error.Message, StringComparison.Ordinal);
            Assert.Contains("maxLinks must be at least 1", error.Message, StringComparison.Ordinal);
            Assert.Contains("organisationList", error.Message, StringComparison.Ordinal);

            var unknown = Path.Combine(folder, "unknown.json");
            System.IO.File.WriteAllText(unknown, """{ "escalation": 5 }""");
            var unknownError = Assert.Throws<InvalidDataException>(() => ScoringOptions.Load(unknown));
            Assert.Contains(unknown, unknownError.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static StoredFile HashesOnly(Guid reportId) => new()
    {
        Id = Guid.NewGuid(),
        ReportId = reportId,
        Ordinal = 0,
        State = FileState.HashesOnly,
        HasMedia = false,
        ReporterHashes = new ReporterHashes { Md5 = "0123456789abcdef0123456789abcdef" },
    };

    [Fact]
    public void HashOnlyReportsAreUnassessableAndNeverGetTheUnknownMediaWeight()
    {
        // The 2,000 hash-only reports: each got +300 "possibly new material" though nobody can look at them.
        var scores = Enumerable.Range(0, 2000).Select(_ => Score(Report(files: r => [HashesOnly(r)]))).ToList();

        Assert.All(scores, score =>
        {
            Assert.DoesNotContain(score.Reasons, r => r.Code == ReportPrioritizer.UnknownMedia);
            var reason = Assert.Single(score.Reasons);
            Assert.Equal(ReportPrioritizer.Unassessable, reason.Code);
            Assert.Equal(ScoringOptions.Default.Unassessable, reason.Weight);
            Assert.StartsWith("1 file cannot be assessed", reason.Text, StringComparison.Ordinal);
            Assert.Contains("unassessable", reason.Text, StringComparison.Ordinal);
        });

        // One photo that matches nothing outranks every one of them.
        var photo = Score(Report(files: r => [File(r)]));
        Assert.All(scores, score => Assert.True(photo.Value > score.Value));

        // Its own weight, from the scoring options.
        var weighted = new ReportPrioritizer(ScoringOptions.Default with { Unassessable = 7 });
        Assert.Equal(7, weighted.Score(Report(files: r => [HashesOnly(r)]), NoDecisions, [], Received).Value);
    }

    [Fact]
    public void AnImageUnderTheMinimumPdqQualityIsUnassessableNotPossiblyNewMaterial()
    {
        // A flipped copy of a listed photo with PDQ quality 35: the list matcher skipped its PDQ and every dihedral
        // variant (quality under the minimum), so matching nothing says nothing about it.
        var lowQuality = Score(Report(files: r => [File(r) with { Pdq = new string('a', 64), PdqQuality = 35 }]));
        Assert.Equal([ReportPrioritizer.Unassessable], lowQuality.Reasons.Select(r => r.Code));
        Assert.Contains("PDQ quality under 50", lowQuality.Reasons[0].Text, StringComparison.Ordinal);

        // At the minimum it was compared (with its flips): matching nothing is then possibly new material.
        var atMinimum = Score(Report(files: r => [File(r) with { Pdq = new string('a', 64), PdqQuality = 50 }]));
        Assert.Equal([ReportPrioritizer.UnknownMedia], atMinimum.Reasons.Select(r => r.Code));

        // Once an analyst has decided it, it was assessed.
        var report = Report(files: r => [File(r) with { Pdq = new string('a', 64), PdqQuality = 35 }]);
        var decided = Score(report, report.Files.ToDictionary(f => f.Id, f => Decision(f, DecisionCategory.ChildAbuseMaterial, DecisionSource.Analyst)));
        Assert.DoesNotContain(decided.Reasons, r => r.Code == ReportPrioritizer.Unassessable);
    }

    [Fact]
    public void AnUnknownSeriesScoresByItsSizeSoTwentyFourFilesOutrankThree()
    {
        // The case: a 24-file unknown album (546 with the capped weight) ranked below 3-file reports with a GPS
        // position and a recent capture time (654).
        var clues = new FileClues { Gps = new GpsClue(48.85, 2.35, null, null, "FR", "France", null, null), Captured = "2025-02-27T10:00:00Z" };
        var album = Score(Report(files: r => [.. Enumerable.Range(0, 24).Select(i => File(r) with { Ordinal = i })]));
        var small = Score(Report(files: r => [.. Enumerable.Range(0, 3).Select(i => File(r, clues: clues) with { Ordinal = i })]));

        Assert.Contains(small.Reasons, r => r.Code == ReportPrioritizer.GpsLocation);
        Assert.Contains(small.Reasons, r => r.Code == ReportPrioritizer.RecentCapture);
        Assert.True(album.Value > small.Value, $"24-file album {album.Value} should outrank the 3-file report {small.Value}");

        // Sublinear but unbounded: every doubling adds the same weight.
        double Unknown(int files) => Score(Report(files: r => [.. Enumerable.Range(0, files).Select(i => File(r) with { Ordinal = i })]))
            .Reasons.Single(r => r.Code == ReportPrioritizer.UnknownMedia).Weight;
        Assert.Equal(Unknown(1000) - Unknown(500), Unknown(48) - Unknown(24), 6);
        Assert.True(Unknown(1000) > Unknown(500));
    }

    [Fact]
    public void AScoringFileWithTheRemovedCapIsRefusedWithWhatToDo()
    {
        var path = Path.Combine(Path.GetTempPath(), $"needle-scoring-{Guid.NewGuid():N}.json");
        System.IO.File.WriteAllText(path, """{ "maxExtraUnknownFiles": 4 }""");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ScoringOptions.Load(path));
            Assert.Contains("maxExtraUnknownFiles", error.Message, StringComparison.Ordinal);
            Assert.Contains("remove it", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    [Fact]
    public void TheExampleScoringFileNamesEveryOption()
    {
        var example = Path.Combine(TestPaths.RepositoryRoot, "docs", "scoring.example.json");
        var text = System.IO.File.ReadAllText(example);
        foreach (var property in typeof(ScoringOptions).GetProperties().Where(p => p.CanWrite))
        {
            Assert.Contains($"\"{char.ToLowerInvariant(property.Name[0])}{property.Name[1..]}\"", text, StringComparison.Ordinal);
        }
    }
}
