using BenchmarkDotNet.Attributes;
using Needle.Application.Triage;
using Needle.Core.Clues;
using Needle.Core.Jurisdiction;
using Needle.Core.Reports;
using Needle.Core.Triage;

namespace Needle.Benchmarks.Triage;

/// <summary>
/// Scoring one report (pure, in memory): a typical report of 3 files and a large one of 200 files with 50 links, half
/// its files known and half decided. Every triage, decision and list change scores reports again, so this runs often.
/// </summary>
[MemoryDiagnoser]
public class ReportPrioritizerBenchmarks
{
    private readonly ReportPrioritizer _prioritizer = new(ScoringOptions.Default);
    private StoredReport _report = null!;
    private Dictionary<Guid, FileDecision> _decisions = [];
    private List<ReportLink> _links = [];

    [Params(3, 200)]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var id = Guid.NewGuid();
        var received = DateTimeOffset.UnixEpoch.AddYears(56);
        var files = new List<StoredFile>(Files);
        for (var i = 0; i < Files; i++)
        {
            files.Add(new StoredFile
            {
                Id = Guid.NewGuid(),
                ReportId = id,
                Ordinal = i,
                State = FileState.Hashed,
                HasMedia = true,
                Matches = i % 2 == 0 ? [new StoredMatch("provider", i, "x", "1", "pdq", "00", 4, "original", false)] : [],
                Clues = new FileClues { Captured = "2025-12-20T10:00:00", Gps = i == 0 ? new GpsClue(48.8, 2.3, null, null, "FR", "France", null, null) : null },
            });
        }

        _report = new StoredReport
        {
            Id = id,
            Submission = new ReportSubmission(),
            Status = ReportStatus.Processed,
            ReceivedAt = received,
            SubmittedBy = Guid.NewGuid(),
            Files = files,
            Jurisdiction = new ReportJurisdiction { Queue = "FR", Basis = "gps", Rule = "FR", Evidence = [new JurisdictionEvidence { Kind = "ip", Country = "FR" }] },
        };
        _decisions = files.Where((_, i) => i % 4 == 1).ToDictionary(f => f.Id, f => new FileDecision
        {
            Id = 1, FileId = f.Id, ReportId = id, Category = DecisionCategory.NonPertinent, Source = DecisionSource.SameHash, Actor = "system", At = received,
        });
        _links = [.. Enumerable.Range(0, Files < 50 ? 2 : 50).Select(i => new ReportLink(id, Guid.NewGuid(), (LinkKind)(i % 8), "v" + i, null, null, null, received))];
    }

    [Benchmark]
    public PriorityScore Score() => _prioritizer.Score(_report, _decisions, _links, _report.ReceivedAt);
}
