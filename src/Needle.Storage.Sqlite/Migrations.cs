using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Needle.Core.Storage;

namespace Needle.Storage.Sqlite;

/// <summary>
/// The schema, as numbered steps. The version applied is kept in <c>PRAGMA user_version</c> (in the file header,
/// written in the same transaction as the step). Steps are only ever appended: never edit one that has shipped.
/// </summary>
internal static class Migrations
{
    /// <summary>Migration steps: version N is Steps[N - 1].</summary>
    public static IReadOnlyList<string> Steps { get; } =
    [
        // 1: the first schema.
        """
        CREATE TABLE reports (
            id                 TEXT    NOT NULL PRIMARY KEY,
            external_id        TEXT,
            submission         TEXT    NOT NULL,            -- ReportSubmission as JSON (camelCase), kept whole
            status             INTEGER NOT NULL,            -- ReportStatus
            escalate           INTEGER NOT NULL,
            received_at        INTEGER NOT NULL,            -- UTC ticks
            processed_at       INTEGER,
            submitted_by       TEXT    NOT NULL,            -- API key id
            idempotency_key    TEXT,
            file_count         INTEGER NOT NULL,
            matched_file_count INTEGER NOT NULL DEFAULT 0,  -- files with a match on a non-allow list, set at completion
            UNIQUE (submitted_by, idempotency_key)
        );
        CREATE INDEX reports_by_received ON reports (received_at DESC, id DESC);
        CREATE INDEX reports_by_status ON reports (status, received_at DESC, id DESC);
        CREATE INDEX reports_by_external_id ON reports (external_id) WHERE external_id IS NOT NULL;

        CREATE TABLE files (
            id              TEXT    NOT NULL PRIMARY KEY,
            report_id       TEXT    NOT NULL REFERENCES reports (id),
            ordinal         INTEGER NOT NULL,
            original_name   TEXT,
            content_type    TEXT,
            size            INTEGER NOT NULL,
            has_media       INTEGER NOT NULL,
            state           INTEGER NOT NULL,               -- FileState
            error           TEXT,
            reporter_hashes TEXT,                           -- ReporterHashes as JSON
            md5             TEXT,
            sha1            TEXT,
            sha256          TEXT,
            pdq             TEXT,
            pdq_quality     INTEGER,
            width           INTEGER,
            height          INTEGER,
            format          TEXT,
            UNIQUE (report_id, ordinal)
        );
        CREATE INDEX files_by_md5 ON files (md5) WHERE md5 IS NOT NULL;
        CREATE INDEX files_by_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
        CREATE INDEX files_by_pdq ON files (pdq) WHERE pdq IS NOT NULL;

        -- Encrypted media apart from the file rows, so scanning files never pages blobs in.
        CREATE TABLE media (
            file_id TEXT NOT NULL PRIMARY KEY REFERENCES files (id),
            bytes   BLOB NOT NULL
        );

        CREATE TABLE matches (
            file_id    TEXT    NOT NULL REFERENCES files (id),
            ordinal    INTEGER NOT NULL,
            report_id  TEXT    NOT NULL REFERENCES reports (id),  -- denormalised for the list filter of the listing
            list_name  TEXT    NOT NULL,
            entry_id   INTEGER NOT NULL,
            label      TEXT,
            category   TEXT,
            signal     TEXT    NOT NULL,
            value      TEXT    NOT NULL,
            distance   REAL    NOT NULL,
            transform  TEXT    NOT NULL,
            allow_list INTEGER NOT NULL,
            PRIMARY KEY (file_id, ordinal)
        );
        CREATE INDEX matches_by_report_list ON matches (report_id, list_name);
        CREATE INDEX matches_by_list ON matches (list_name);

        CREATE TABLE jobs (
            id           INTEGER NOT NULL PRIMARY KEY,
            kind         TEXT    NOT NULL,
            subject_id   TEXT    NOT NULL,
            state        TEXT    NOT NULL,  -- pending, leased, done, failed
            attempts     INTEGER NOT NULL DEFAULT 0,
            available_at INTEGER NOT NULL,
            leased_by    TEXT,
            lease_token  TEXT,
            leased_until INTEGER,
            last_error   TEXT,
            created_at   INTEGER NOT NULL,
            finished_at  INTEGER
        );
        CREATE INDEX jobs_pending ON jobs (id, available_at) WHERE state = 'pending';
        CREATE INDEX jobs_leased ON jobs (id, leased_until) WHERE state = 'leased';
        CREATE INDEX jobs_by_subject ON jobs (subject_id);

        CREATE TABLE lists (
            id                 INTEGER NOT NULL PRIMARY KEY,
            name               TEXT    NOT NULL UNIQUE,
            kind               TEXT    NOT NULL,  -- HashListKind
            pdq_threshold      REAL,
            photodna_threshold REAL,
            created_at         INTEGER NOT NULL,
            next_entry_id      INTEGER NOT NULL DEFAULT 1  -- entry ids are never reused: matches refer to them
        );

        CREATE TABLE list_entries (
            list_id  INTEGER NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
            id       INTEGER NOT NULL,
            signal   TEXT    NOT NULL,
            value    TEXT    NOT NULL,
            label    TEXT,
            category TEXT,
            source   TEXT,
            enabled  INTEGER NOT NULL,
            metadata TEXT,  -- JSON object of strings, null when empty
            PRIMARY KEY (list_id, id)
        ) WITHOUT ROWID;
        CREATE INDEX list_entries_by_value ON list_entries (signal, value);

        CREATE TABLE api_keys (
            id          TEXT    NOT NULL PRIMARY KEY,
            name        TEXT    NOT NULL,
            role        TEXT    NOT NULL,  -- ApiRole
            salt        BLOB    NOT NULL,
            secret_hash BLOB    NOT NULL,
            created_at  INTEGER NOT NULL,
            expires_at  INTEGER,
            revoked_at  INTEGER
        );

        CREATE TABLE audit (
            sequence       INTEGER NOT NULL PRIMARY KEY,
            at             INTEGER NOT NULL,  -- UTC ticks, hashed exactly
            actor          TEXT    NOT NULL,
            action         TEXT    NOT NULL,
            target         TEXT    NOT NULL,
            details        TEXT,
            remote_address TEXT,
            previous_hash  TEXT    NOT NULL,
            hash           TEXT    NOT NULL
        );
        -- Defence in depth: Needle never updates or deletes audit rows; the hash chain catches whoever does it anyway.
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        """,

        // 2: location clues. Files keep their metadata clues as JSON, with the GPS country as a column; reports keep
        // their jurisdiction (decision and evidence) as JSON, with the queue, country and region as columns for the
        // listing's filters. Rows of version 1 keep NULL: they were processed before clues existed.
        """
        ALTER TABLE files ADD COLUMN clues TEXT;                 -- FileClues as JSON
        ALTER TABLE files ADD COLUMN gps_country TEXT;           -- ISO 3166-1 alpha-2 of the file's GPS fix
        ALTER TABLE reports ADD COLUMN jurisdiction TEXT;        -- ReportJurisdiction as JSON (with its evidence)
        ALTER TABLE reports ADD COLUMN jurisdiction_queue TEXT;
        ALTER TABLE reports ADD COLUMN jurisdiction_country TEXT;
        ALTER TABLE reports ADD COLUMN jurisdiction_region TEXT;
        CREATE INDEX reports_by_jurisdiction ON reports (jurisdiction_queue, received_at DESC, id DESC) WHERE jurisdiction_queue IS NOT NULL;
        CREATE INDEX reports_by_country ON reports (jurisdiction_country, received_at DESC, id DESC) WHERE jurisdiction_country IS NOT NULL;
        CREATE INDEX files_by_gps_country ON files (gps_country) WHERE gps_country IS NOT NULL;
        """,

        // 3: triage. Reports get their score, review state, claim and reporter organisation (backfilled from the
        // submission); files their current decision and the sequence the near-duplicate index follows; new tables
        // hold link keys, links, decisions (the history; files point at the current one) and settings documents.
        """
        ALTER TABLE reports ADD COLUMN reporter_org TEXT;                       -- submission.reporter.organisation
        UPDATE reports SET reporter_org = json_extract(submission, '$.reporter.organisation');
        ALTER TABLE reports ADD COLUMN score REAL NOT NULL DEFAULT 0;           -- PriorityScore.Value (0 before triage)
        ALTER TABLE reports ADD COLUMN score_reasons TEXT;                      -- ScoreReason list as JSON
        ALTER TABLE reports ADD COLUMN review_state INTEGER NOT NULL DEFAULT 0; -- ReviewState
        ALTER TABLE reports ADD COLUMN scored_at INTEGER;                       -- null before the first triage
        ALTER TABLE reports ADD COLUMN claimed_by TEXT;
        ALTER TABLE reports ADD COLUMN claimed_at INTEGER;
        ALTER TABLE reports ADD COLUMN claim_expires INTEGER;
        CREATE INDEX reports_queue ON reports (review_state, score DESC, received_at, id);
        CREATE INDEX reports_by_reporter_org ON reports (reporter_org COLLATE NOCASE) WHERE reporter_org IS NOT NULL;

        ALTER TABLE files ADD COLUMN media_seq INTEGER;            -- order of PDQs stored, for ReadMediaHashesAsync
        ALTER TABLE files ADD COLUMN current_decision_id INTEGER;  -- the file's latest decision
        CREATE UNIQUE INDEX files_by_media_seq ON files (media_seq) WHERE media_seq IS NOT NULL;
        CREATE INDEX files_undecided ON files (report_id) WHERE current_decision_id IS NULL;

        CREATE TABLE report_keys (
            report_id TEXT    NOT NULL REFERENCES reports (id),
            kind      INTEGER NOT NULL,  -- LinkKind
            value     TEXT    NOT NULL,
            file_id   TEXT
        );
        CREATE INDEX report_keys_by_value ON report_keys (kind, value);
        CREATE INDEX report_keys_by_report ON report_keys (report_id);

        -- One row per unordered pair (report_a < report_b as text, file ids in the same order), kind, value and files.
        CREATE TABLE report_links (
            report_a   TEXT    NOT NULL REFERENCES reports (id),
            report_b   TEXT    NOT NULL REFERENCES reports (id),
            kind       INTEGER NOT NULL,  -- LinkKind
            value      TEXT    NOT NULL,
            file_a     TEXT,
            file_b     TEXT,
            distance   INTEGER,
            created_at INTEGER NOT NULL,
            CHECK (report_a < report_b)
        );
        CREATE UNIQUE INDEX report_links_unique ON report_links (report_a, report_b, kind, value, COALESCE(file_a, ''), COALESCE(file_b, ''));
        CREATE INDEX report_links_by_b ON report_links (report_b);

        CREATE TABLE decisions (
            id              INTEGER NOT NULL PRIMARY KEY,
            file_id         TEXT    NOT NULL REFERENCES files (id),
            report_id       TEXT    NOT NULL REFERENCES reports (id),
            category        INTEGER NOT NULL,  -- DecisionCategory (Project VIC numbers)
            note            TEXT,
            source          INTEGER NOT NULL,  -- DecisionSource
            actor           TEXT    NOT NULL,
            at              INTEGER NOT NULL,
            revises         INTEGER REFERENCES decisions (id),
            based_on        INTEGER REFERENCES decisions (id),
            based_on_file   TEXT,
            based_on_reason TEXT
        );
        CREATE INDEX decisions_by_file ON decisions (file_id, id);

        CREATE TABLE settings (
            scope      TEXT    NOT NULL PRIMARY KEY,
            json       TEXT    NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE INDEX jobs_pending_by_subject ON jobs (subject_id, kind) WHERE state = 'pending';
        """,

        // 4: the list change log: one row per change of a list or its entries, written in the change's transaction, so
        // every process can follow it and keep its in-memory index in step without reloading the lists.
        """
        CREATE TABLE list_changes (
            seq            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,  -- never reused, in commit order (one writer)
            list_name      TEXT    NOT NULL,
            change         TEXT    NOT NULL,  -- 'list.create', 'list.delete' or 'entries' (added, enabled, disabled, removed)
            first_entry_id INTEGER NOT NULL DEFAULT 0,
            last_entry_id  INTEGER NOT NULL DEFAULT 0,
            at             INTEGER NOT NULL   -- UTC ticks
        );
        """,

        // 5: videos: a file's video summary (duration, size, vPDQ hash) and a vPDQ match's shares and time ranges, as JSON.
        """
        ALTER TABLE files ADD COLUMN video TEXT;                 -- VideoSummary as JSON
        ALTER TABLE matches ADD COLUMN video TEXT;               -- VideoMatchDetails as JSON
        """,

        // 6: job priority: an escalated report's jobs are leased before any backlog (JobPriority), oldest first within
        // a priority. Existing jobs keep priority 0.
        """
        ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX jobs_pending_by_priority ON jobs (priority DESC, id) WHERE state = 'pending';
        """,

        // 7: case work. A report's note thread and its outcomes (referral, informational, closed: the history, the
        // latest is current) in tables of their own; its assignment to a reviewer as columns of the report.
        """
        CREATE TABLE report_notes (
            id        INTEGER NOT NULL PRIMARY KEY,
            report_id TEXT    NOT NULL REFERENCES reports (id),
            author    TEXT    NOT NULL,
            at        INTEGER NOT NULL,  -- UTC ticks
            text      TEXT    NOT NULL
        );
        CREATE INDEX report_notes_by_report ON report_notes (report_id, id);

        CREATE TABLE report_outcomes (
            id        INTEGER NOT NULL PRIMARY KEY,
            report_id TEXT    NOT NULL REFERENCES reports (id),
            kind      INTEGER NOT NULL,  -- OutcomeKind
            recipient TEXT,              -- the agency or queue of a referral
            note      TEXT,
            actor     TEXT    NOT NULL,
            at        INTEGER NOT NULL
        );
        CREATE INDEX report_outcomes_by_report ON report_outcomes (report_id, id);

        ALTER TABLE reports ADD COLUMN assigned_to TEXT;     -- the reviewer's API key id
        ALTER TABLE reports ADD COLUMN assigned_by TEXT;
        ALTER TABLE reports ADD COLUMN assigned_at INTEGER;
        """,

        // 8: exchanges: a provider keeping a list in step (credentials encrypted by the application), its fetch state
        // and lease, and which list entries each of the provider's items became (so a later record or a tombstone
        // replaces or removes exactly those).
        """
        CREATE TABLE exchanges (
            id              TEXT    NOT NULL PRIMARY KEY,
            name            TEXT    NOT NULL UNIQUE,
            kind            TEXT    NOT NULL,             -- ExchangeKinds
            list_name       TEXT    NOT NULL,
            settings        TEXT    NOT NULL,             -- JSON object, nothing secret
            credentials     BLOB    NOT NULL,             -- encrypted (AES-GCM envelope bound to id)
            interval_ticks  INTEGER NOT NULL,
            enabled         INTEGER NOT NULL,
            created_at      INTEGER NOT NULL,
            next_fetch_at   INTEGER NOT NULL,
            lease_token     TEXT,
            leased_by       TEXT,                      -- the holder (host/pid/n), to free it at once after a crash
            leased_until    INTEGER,
            checkpoint      TEXT,
            checkpoint_at   INTEGER,
            last_fetch_at   INTEGER,
            last_success_at INTEGER,
            success         INTEGER,
            error           TEXT,
            notice          TEXT,
            added           INTEGER NOT NULL DEFAULT 0,
            removed         INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE exchange_items (
            exchange_id TEXT    NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
            item_key    TEXT    NOT NULL,
            signal      TEXT    NOT NULL,
            entry_id    INTEGER NOT NULL,
            PRIMARY KEY (exchange_id, item_key, signal)
        );
        """,

        // 9: job lanes (JobLane): a report with a video is processed in the video lane, leased by its own share of the
        // workers. Jobs queued before keep lane 0 (general), as they were run until now.
        """
        ALTER TABLE jobs ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX jobs_pending_by_lane ON jobs (lane, priority DESC, id) WHERE state = 'pending';
        """,

        // 10: links as clusters. A shared value (an email, an IP, a camera serial...) is one cluster row with one member
        // row per report holding it; copies and near-duplicates of an image are one media cluster (union-find on write:
        // the smaller cluster's members move to the larger), one member row per file. Storage grows with reports, not
        // with pairs of them (a viral file's 50,000 reports: 50,000 rows, not a billion). The pairwise rows move over:
        // shared values exactly; media links are re-derived by triaging their reports again (from their keys and the
        // near-duplicate index), as a pairwise row does not say which cluster its files belong to.
        """
        CREATE TABLE link_clusters (
            id         INTEGER PRIMARY KEY,
            kind       INTEGER NOT NULL,  -- LinkKind of the shared value; SimilarMedia (1) for a media cluster
            value      TEXT,              -- the shared value; NULL for a media cluster
            members    INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX link_clusters_by_value ON link_clusters (kind, value) WHERE value IS NOT NULL;

        CREATE TABLE link_members (
            cluster_id INTEGER NOT NULL REFERENCES link_clusters (id),
            report_id  TEXT    NOT NULL REFERENCES reports (id),
            file_id    TEXT,              -- media and camera serials: the report's file
            kind       INTEGER NOT NULL,  -- LinkKind: why it joined
            value      TEXT    NOT NULL,  -- the evidence ("sha256:...", "pdq:12", the email)
            via_file   TEXT,              -- media: the file it was found to match when it joined
            distance   INTEGER,           -- media: PDQ bits from via_file
            created_at INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX link_members_unique ON link_members (cluster_id, report_id, COALESCE(file_id, ''));
        CREATE INDEX link_members_by_cluster ON link_members (cluster_id, created_at DESC);
        CREATE INDEX link_members_by_report ON link_members (report_id);
        CREATE INDEX link_members_by_file ON link_members (file_id) WHERE file_id IS NOT NULL;

        INSERT INTO link_clusters (kind, value, created_at)
            SELECT kind, value, MIN(created_at) FROM report_links WHERE kind NOT IN (0, 1) GROUP BY kind, value;
        INSERT OR IGNORE INTO link_members (cluster_id, report_id, file_id, kind, value, created_at)
            SELECT c.id, l.report_a, l.file_a, l.kind, l.value, l.created_at FROM report_links l JOIN link_clusters c ON c.kind = l.kind AND c.value = l.value
            UNION ALL
            SELECT c.id, l.report_b, l.file_b, l.kind, l.value, l.created_at FROM report_links l JOIN link_clusters c ON c.kind = l.kind AND c.value = l.value
            ORDER BY 6;
        UPDATE link_clusters SET members = (SELECT COUNT(*) FROM link_members m WHERE m.cluster_id = link_clusters.id);
        INSERT INTO jobs (kind, subject_id, state, attempts, available_at, created_at, priority, lane)
            SELECT 'triage-report', r.id, 'pending', 0, 0, (SELECT MAX(created_at) FROM report_links), CASE WHEN r.escalate THEN 100 ELSE 0 END, 0
            FROM reports r
            WHERE r.id IN (SELECT report_a FROM report_links WHERE kind IN (0, 1) UNION SELECT report_b FROM report_links WHERE kind IN (0, 1))
                AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.subject_id = r.id AND j.kind = 'triage-report' AND j.state = 'pending');
        DROP TABLE report_links;
        """,

        // 11: flood guard. Files matched per list entry per hour (UTC ticks of the hour's start), added in the
        // transaction that records the matches; and the entries quarantined for a sudden surge (released_at set once an
        // admin releases one: its rate then becomes the entry's baseline).
        """
        CREATE TABLE entry_match_counts (
            list_name TEXT    NOT NULL,
            entry_id  INTEGER NOT NULL,
            bucket    INTEGER  NOT NULL,  -- UTC ticks of the hour
            matches   INTEGER  NOT NULL,  -- files matched
            PRIMARY KEY (list_name, entry_id, bucket)
        ) WITHOUT ROWID;

        CREATE TABLE entry_quarantines (
            list_name      TEXT    NOT NULL,
            entry_id       INTEGER NOT NULL,
            matches        INTEGER  NOT NULL,  -- files matched in the window when quarantined
            baseline       REAL NOT NULL,  -- files per window the entry's history had
            window_ticks   INTEGER  NOT NULL,
            quarantined_at INTEGER  NOT NULL,
            released_at    INTEGER,
            released_by    TEXT,
            PRIMARY KEY (list_name, entry_id)
        ) WITHOUT ROWID;
        """,

        // 12: full re-fetch as mark and sweep. A full fetch (a stale checkpoint, or an admin's request) starts a new
        // sweep generation; every item it delivers is marked with it; once it completes, the exchange's items still
        // marked with an older generation are removed. Kept in the row so a fetch resumed after a crash goes on marking.
        """
        ALTER TABLE exchanges ADD COLUMN full_fetch_requested INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE exchanges ADD COLUMN full_fetch INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE exchanges ADD COLUMN sweep_generation INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE exchange_items ADD COLUMN seen_generation INTEGER NOT NULL DEFAULT 0;
        """,

        // 13: feedback to exchange providers: a durable queue, one row per feedback on a provider's item (state: 0 queued,
        // 1 sending, 2 sent, 3 failed, 4 cancelled; next_attempt_at is also a sender's lease end), and the item of a list
        // entry found by its entry id.
        """
        CREATE TABLE exchange_feedback (
            id              INTEGER PRIMARY KEY,
            exchange_id     TEXT    NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
            item_key        TEXT    NOT NULL,
            verdict         INTEGER NOT NULL,  -- FeedbackVerdict
            list_name       TEXT    NOT NULL,
            entry_id        INTEGER NOT NULL,
            signal          TEXT    NOT NULL,
            value           TEXT    NOT NULL,
            file_id         TEXT    NOT NULL,
            origin          TEXT    NOT NULL,  -- decision or false-positive
            actor           TEXT    NOT NULL,
            details         TEXT    NOT NULL,  -- JSON: what the provider needs to find its item; nothing secret
            created_at      INTEGER NOT NULL,
            state           INTEGER NOT NULL,  -- FeedbackState
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_token     TEXT,
            leased_by       TEXT,
            leased_until    INTEGER,
            error           TEXT,
            sent_at         INTEGER
        );
        CREATE INDEX exchange_feedback_by_item ON exchange_feedback (exchange_id, item_key, id);
        CREATE INDEX exchange_feedback_due ON exchange_feedback (next_attempt_at, id) WHERE state IN (0, 1);
        CREATE INDEX exchange_feedback_by_entry ON exchange_feedback (list_name, entry_id);
        CREATE INDEX exchange_items_by_entry ON exchange_items (exchange_id, entry_id);
        """,

        // 14: robust tier: each processed image's global descriptor (half floats) apart from its whole robust entry
        // (descriptor and keypoints, read only for candidates), followed by the in-memory similarity column in seq
        // order; and a robust match's inliers, transform and similarity.
        """
        CREATE TABLE robust_features (
            seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,  -- in commit order (one writer)
            file_id    TEXT    NOT NULL UNIQUE REFERENCES files (id),
            report_id  TEXT    NOT NULL REFERENCES reports (id),
            descriptor BLOB    NOT NULL,  -- little-endian half floats
            features   TEXT    NOT NULL,  -- r1. + base64 (RobustFeatures)
            created_at INTEGER NOT NULL
        );
        ALTER TABLE matches ADD COLUMN robust TEXT;  -- RobustMatchDetails as JSON
        """,

        // 15: decided media: finding a decided copy of a file looks only among decided files, so a viral file's thousands
        // of undecided copies are not visited on every triage.
        """
        CREATE INDEX files_decided_by_sha256 ON files (sha256) WHERE sha256 IS NOT NULL AND current_decision_id IS NOT NULL;
        CREATE INDEX files_decided_by_md5 ON files (md5) WHERE md5 IS NOT NULL AND current_decision_id IS NOT NULL;
        CREATE INDEX files_decided_by_pdq ON files (pdq) WHERE pdq IS NOT NULL AND current_decision_id IS NOT NULL;
        """,

        // 16: list imports: one row per import job (state and counts), so its progress and outcome can be read from any node.
        """
        CREATE TABLE list_imports (
            id           TEXT    NOT NULL PRIMARY KEY,
            list_name    TEXT    NOT NULL,
            state        TEXT    NOT NULL,  -- ListImportState
            actor        TEXT    NOT NULL,
            node         TEXT    NOT NULL,  -- host and process running it
            started_at   INTEGER NOT NULL,  -- UTC ticks
            finished_at  INTEGER,
            format       TEXT,
            records_read INTEGER NOT NULL,
            imported     INTEGER NOT NULL,
            invalid      INTEGER NOT NULL,
            errors       TEXT             -- JSON array of strings
        );
        """,

        // 17: list entries lose their value index: nothing looks entries up by value (matching is in memory; the store
        // reads entries by list and id), and on an import of random hash values it cost more than the rows themselves.
        """
        DROP INDEX list_entries_by_value;
        """,

        // 18: robust features shared by identical copies: a row holding features records the file's SHA-256 (found by the
        // next copy), and a copy's row holds only same_as, the file whose row has them. SQLite cannot drop NOT NULL in
        // place, so the table is rebuilt (sequences kept, so the similarity column's position stays valid).
        """
        CREATE TABLE robust_features_shared (
            seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            file_id    TEXT    NOT NULL UNIQUE REFERENCES files (id),
            report_id  TEXT    NOT NULL REFERENCES reports (id),
            descriptor BLOB,              -- little-endian half floats; null on a copy's row
            features   TEXT,              -- r1. + base64 (RobustFeatures); null on a copy's row
            sha256     TEXT,              -- of the file, on rows holding features
            same_as    TEXT    REFERENCES files (id),  -- a copy's row: the file whose row holds the features
            created_at INTEGER NOT NULL,
            CHECK ((features IS NULL) = (same_as IS NOT NULL))
        );
        INSERT INTO robust_features_shared (seq, file_id, report_id, descriptor, features, sha256, created_at)
            SELECT r.seq, r.file_id, r.report_id, r.descriptor, r.features, f.sha256, r.created_at
            FROM robust_features r LEFT JOIN files f ON f.id = r.file_id;
        DROP TABLE robust_features;
        ALTER TABLE robust_features_shared RENAME TO robust_features;
        CREATE INDEX robust_features_by_sha256 ON robust_features (sha256) WHERE sha256 IS NOT NULL;
        """,

        // 19: robust features record the model that made them (descriptors of different models are not comparable): the
        // model's identity (SHA-256, see ImageDescriptorModel.ModelId) on rows holding features; null for the default
        // ResNet18, which made every row stored before. Identical copies and similarity compare within one model only.
        """
        ALTER TABLE robust_features ADD COLUMN model TEXT;
        """,
    ];

    public static int LatestVersion => Steps.Count;

    public static async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken) =>
        Convert.ToInt32(await connection.Command(transaction, "PRAGMA user_version;").ScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);

    /// <summary>Brings the schema to <see cref="LatestVersion"/>, one transaction per step; refuses a newer file.</summary>
    public static async Task<int> MigrateAsync(SqliteConnection connection, string dataSource, CancellationToken cancellationToken)
    {
        // WAL is a property of the file (kept once set): readers never block the writer, and a commit is one append.
        var journalMode = (string?)await connection.Command(null, "PRAGMA journal_mode = WAL;").ScalarAsync(cancellationToken).ConfigureAwait(false);
        if (!string.Equals(journalMode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite database {dataSource} could not be switched to WAL (journal mode is {journalMode}).");
        }

        var applied = 0;
        while (true)
        {
            var transaction = connection.BeginTransaction(deferred: false);
            await using (transaction.ConfigureAwait(false))
            {
                var version = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                if (version > LatestVersion)
                {
                    throw new NewerSchemaException("SQLite", dataSource, version, LatestVersion);
                }

                if (version == LatestVersion)
                {
                    return applied;
                }

                var next = version + 1;
                await connection.Command(transaction, Steps[next - 1]).RunAsync(cancellationToken).ConfigureAwait(false);

                // PRAGMA takes no parameters; the number is ours.
                await connection.Command(transaction, string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {next};"))
                    .RunAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                applied++;
            }
        }
    }
}
