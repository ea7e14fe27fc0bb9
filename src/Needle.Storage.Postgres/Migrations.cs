using System.Data.Common;
using System.Globalization;
using Needle.Core.Storage;
using Npgsql;

namespace Needle.Storage.Postgres;

/// <summary>
/// The schema, as numbered steps. The version applied is kept in <c>schema_version</c>, written in the same
/// transaction as the step (PostgreSQL's DDL is transactional). Every step runs under a transaction-level advisory lock,
/// so many processes starting at once migrate one after the other and the later ones find nothing to do. Steps are only
/// ever appended: never edit one that has shipped.
/// </summary>
internal static class Migrations
{
    /// <summary>The key of the advisory lock held while migrating ("needle" + 1).</summary>
    public const long MigrationLockKey = 0x6E_65_65_64_6C_65_01;

    /// <summary>The key of the advisory lock that serialises audit appends ("needle" + 2).</summary>
    public const long AuditLockKey = 0x6E_65_65_64_6C_65_02;

    /// <summary>
    /// The key of the advisory lock over media sequences ("needle" + 3): shared by every transaction that assigns one,
    /// taken exclusively by a follower to find the sequence below which nothing can still commit.
    /// </summary>
    public const long MediaSequenceLockKey = 0x6E_65_65_64_6C_65_03;

    /// <summary>The key of the advisory lock that serialises writers of link clusters ("needle" + 4), so two unions never race.</summary>
    public const long LinkClustersLockKey = 0x6E_65_65_64_6C_65_04;

    /// <summary>Migration steps: version N is Steps[N - 1].</summary>
    public static IReadOnlyList<string> Steps { get; } =
    [
        // 1: the first schema: that of SQLite version 2 (with location clues), in PostgreSQL's types.
        """
        CREATE TABLE reports (
            id                   uuid     NOT NULL PRIMARY KEY,
            external_id          text,
            submission           jsonb    NOT NULL,            -- ReportSubmission as JSON (camelCase), kept whole
            status               integer  NOT NULL,            -- ReportStatus
            escalate             boolean  NOT NULL,
            received_at          bigint   NOT NULL,            -- UTC ticks (exact; timestamptz keeps only microseconds)
            processed_at         bigint,
            submitted_by         uuid     NOT NULL,            -- API key id
            idempotency_key      text,
            file_count           integer  NOT NULL,
            matched_file_count   integer  NOT NULL DEFAULT 0,  -- files with a match on a non-allow list, set at completion
            jurisdiction         jsonb,                        -- ReportJurisdiction (decision and evidence)
            jurisdiction_queue   text,
            jurisdiction_country text,
            jurisdiction_region  text,
            CONSTRAINT reports_idempotency UNIQUE (submitted_by, idempotency_key)
        );
        CREATE INDEX reports_by_received ON reports (received_at DESC, id DESC);
        CREATE INDEX reports_by_status ON reports (status, received_at DESC, id DESC);
        CREATE INDEX reports_by_external_id ON reports (external_id) WHERE external_id IS NOT NULL;
        CREATE INDEX reports_by_jurisdiction ON reports (jurisdiction_queue, received_at DESC, id DESC) WHERE jurisdiction_queue IS NOT NULL;
        CREATE INDEX reports_by_country ON reports (jurisdiction_country, received_at DESC, id DESC) WHERE jurisdiction_country IS NOT NULL;

        CREATE TABLE files (
            id              uuid    NOT NULL PRIMARY KEY,
            report_id       uuid    NOT NULL REFERENCES reports (id),
            ordinal         integer NOT NULL,
            original_name   text,
            content_type    text,
            size            bigint  NOT NULL,
            has_media       boolean NOT NULL,
            state           integer NOT NULL,               -- FileState
            error           text,
            reporter_hashes jsonb,                          -- ReporterHashes
            md5             text,
            sha1            text,
            sha256          text,
            pdq             text,
            pdq_quality     integer,
            width           integer,
            height          integer,
            format          text,
            clues           jsonb,                          -- FileClues
            gps_country     text,                           -- ISO 3166-1 alpha-2 of the file's GPS fix
            UNIQUE (report_id, ordinal)
        );
        CREATE INDEX files_by_md5 ON files (md5) WHERE md5 IS NOT NULL;
        CREATE INDEX files_by_sha256 ON files (sha256) WHERE sha256 IS NOT NULL;
        CREATE INDEX files_by_pdq ON files (pdq) WHERE pdq IS NOT NULL;
        CREATE INDEX files_by_gps_country ON files (gps_country) WHERE gps_country IS NOT NULL;

        -- Encrypted media apart from the file rows (and TOASTed out of line, uncompressed: it is ciphertext).
        CREATE TABLE media (
            file_id uuid  NOT NULL PRIMARY KEY REFERENCES files (id),
            bytes   bytea NOT NULL
        );
        ALTER TABLE media ALTER COLUMN bytes SET STORAGE EXTERNAL;

        CREATE TABLE matches (
            file_id    uuid             NOT NULL REFERENCES files (id),
            ordinal    integer          NOT NULL,
            report_id  uuid             NOT NULL REFERENCES reports (id),  -- denormalised for the list filter of the listing
            list_name  text             NOT NULL,
            entry_id   integer          NOT NULL,
            label      text,
            category   text,
            signal     text             NOT NULL,
            value      text             NOT NULL,
            distance   double precision NOT NULL,
            transform  text             NOT NULL,
            allow_list boolean          NOT NULL,
            PRIMARY KEY (file_id, ordinal)
        );
        CREATE INDEX matches_by_report_list ON matches (report_id, list_name);
        CREATE INDEX matches_by_list ON matches (list_name);

        CREATE TABLE jobs (
            id           bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind         text    NOT NULL,
            subject_id   uuid    NOT NULL,
            state        text    NOT NULL CHECK (state IN ('pending', 'leased', 'done', 'failed')),
            attempts     integer NOT NULL DEFAULT 0,
            available_at bigint  NOT NULL,
            leased_by    text,
            lease_token  uuid,
            leased_until bigint,
            last_error   text,
            created_at   bigint  NOT NULL,
            finished_at  bigint
        );
        CREATE INDEX jobs_pending ON jobs (id, available_at) WHERE state = 'pending';
        CREATE INDEX jobs_leased ON jobs (id, leased_until) WHERE state = 'leased';
        CREATE INDEX jobs_by_subject ON jobs (subject_id);

        CREATE TABLE lists (
            id                 bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name               text             NOT NULL UNIQUE,
            kind               text             NOT NULL,  -- HashListKind
            pdq_threshold      double precision,
            photodna_threshold double precision,
            created_at         bigint           NOT NULL,
            next_entry_id      integer          NOT NULL DEFAULT 1  -- entry ids are never reused: matches refer to them
        );

        CREATE TABLE list_entries (
            list_id  bigint  NOT NULL REFERENCES lists (id) ON DELETE CASCADE,
            id       integer NOT NULL,
            signal   text    NOT NULL,
            value    text    NOT NULL,
            label    text,
            category text,
            source   text,
            enabled  boolean NOT NULL,
            metadata jsonb,  -- object of strings, null when empty
            PRIMARY KEY (list_id, id)
        );
        CREATE INDEX list_entries_by_value ON list_entries (signal, value);

        CREATE TABLE api_keys (
            id          uuid   NOT NULL PRIMARY KEY,
            name        text   NOT NULL,
            role        text   NOT NULL,  -- ApiRole
            salt        bytea  NOT NULL,
            secret_hash bytea  NOT NULL,
            created_at  bigint NOT NULL,
            expires_at  bigint,
            revoked_at  bigint
        );

        CREATE TABLE audit (
            sequence       bigint NOT NULL PRIMARY KEY,
            at             bigint NOT NULL,  -- UTC ticks, hashed exactly
            actor          text   NOT NULL,
            action         text   NOT NULL,
            target         text   NOT NULL,
            details        text,             -- text, not jsonb: hashed byte for byte
            remote_address text,
            previous_hash  text   NOT NULL,
            hash           text   NOT NULL
        );

        -- Defence in depth: Needle never updates or deletes audit rows; the hash chain catches whoever does it anyway.
        CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
        END;
        $$;
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only();
        CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
        """,

        // 2: triage. Reports get their score, review state, claim and reporter organisation (backfilled from the
        // submission); files their current decision and the sequence the near-duplicate index follows; new tables
        // hold link keys, links, decisions (the history; files point at the current one) and settings documents.
        """
        ALTER TABLE reports
            ADD COLUMN reporter_org  text,                                   -- submission.reporter.organisation
            ADD COLUMN score         double precision NOT NULL DEFAULT 0,    -- PriorityScore.Value (0 before triage)
            ADD COLUMN score_reasons jsonb,                                  -- ScoreReason list
            ADD COLUMN review_state  integer NOT NULL DEFAULT 0,             -- ReviewState
            ADD COLUMN scored_at     bigint,                                 -- null before the first triage
            ADD COLUMN claimed_by    text,
            ADD COLUMN claimed_at    bigint,
            ADD COLUMN claim_expires bigint;
        UPDATE reports SET reporter_org = submission -> 'reporter' ->> 'organisation';
        CREATE INDEX reports_queue ON reports (review_state, score DESC, received_at, id);
        CREATE INDEX reports_by_reporter_org ON reports (lower(reporter_org)) WHERE reporter_org IS NOT NULL;

        -- Taken by every transaction that stores a PDQ (see PostgresTriageStore.ReadMediaHashesAsync).
        CREATE SEQUENCE files_media_seq AS bigint;
        ALTER TABLE files
            ADD COLUMN media_seq           bigint,  -- order of PDQs stored, for ReadMediaHashesAsync
            ADD COLUMN current_decision_id bigint;  -- the file's latest decision
        CREATE UNIQUE INDEX files_by_media_seq ON files (media_seq) WHERE media_seq IS NOT NULL;
        CREATE INDEX files_undecided ON files (report_id) WHERE current_decision_id IS NULL;

        CREATE TABLE report_keys (
            report_id uuid    NOT NULL REFERENCES reports (id),
            kind      integer NOT NULL,  -- LinkKind
            value     text    NOT NULL,
            file_id   uuid
        );
        CREATE INDEX report_keys_by_value ON report_keys (kind, value);
        CREATE INDEX report_keys_by_report ON report_keys (report_id);

        -- One row per unordered pair (report_a < report_b, file ids in the same order), kind, value and files.
        CREATE TABLE report_links (
            report_a   uuid    NOT NULL REFERENCES reports (id),
            report_b   uuid    NOT NULL REFERENCES reports (id),
            kind       integer NOT NULL,  -- LinkKind
            value      text    NOT NULL,
            file_a     uuid,
            file_b     uuid,
            distance   integer,
            created_at bigint  NOT NULL,
            CHECK (report_a < report_b)
        );
        CREATE UNIQUE INDEX report_links_unique ON report_links (report_a, report_b, kind, value, COALESCE(file_a, '00000000-0000-0000-0000-000000000000'), COALESCE(file_b, '00000000-0000-0000-0000-000000000000'));
        CREATE INDEX report_links_by_b ON report_links (report_b);

        CREATE TABLE decisions (
            id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            file_id         uuid    NOT NULL REFERENCES files (id),
            report_id       uuid    NOT NULL REFERENCES reports (id),
            category        integer NOT NULL,  -- DecisionCategory (Project VIC numbers)
            note            text,
            source          integer NOT NULL,  -- DecisionSource
            actor           text    NOT NULL,
            at              bigint  NOT NULL,
            revises         bigint  REFERENCES decisions (id),
            based_on        bigint  REFERENCES decisions (id),
            based_on_file   uuid,
            based_on_reason text
        );
        CREATE INDEX decisions_by_file ON decisions (file_id, id);
        ALTER TABLE files ADD CONSTRAINT files_current_decision FOREIGN KEY (current_decision_id) REFERENCES decisions (id);

        CREATE TABLE settings (
            scope      text   NOT NULL PRIMARY KEY,
            json       text   NOT NULL,  -- kept as given
            updated_at bigint NOT NULL
        );

        CREATE INDEX jobs_pending_by_subject ON jobs (subject_id, kind) WHERE state = 'pending';
        """,

        // 3: the list change log: one row per change of a list or its entries, written in the change's transaction, so
        // every process can follow it and keep its in-memory index in step without reloading the lists. seq is taken
        // under the audit advisory lock (held to commit), so sequences commit in order: a reader never sees seq N
        // while a lower one can still appear.
        """
        CREATE TABLE list_changes (
            seq            bigint  NOT NULL PRIMARY KEY,
            list_name      text    NOT NULL,
            change         text    NOT NULL,  -- 'list.create', 'list.delete' or 'entries' (added, enabled, disabled, removed)
            first_entry_id integer NOT NULL DEFAULT 0,
            last_entry_id  integer NOT NULL DEFAULT 0,
            at             bigint  NOT NULL   -- UTC ticks
        );
        """,

        // 4: videos: a file's video summary (duration, size, vPDQ hash) and a vPDQ match's shares and time ranges.
        """
        ALTER TABLE files ADD COLUMN video jsonb;                -- VideoSummary
        ALTER TABLE matches ADD COLUMN video jsonb;              -- VideoMatchDetails
        """,

        // 5: job priority: an escalated report's jobs are leased before any backlog (JobPriority), oldest first within
        // a priority. Existing jobs keep priority 0.
        """
        ALTER TABLE jobs ADD COLUMN priority integer NOT NULL DEFAULT 0;
        CREATE INDEX jobs_pending_by_priority ON jobs (priority DESC, id) WHERE state = 'pending';
        """,

        // 6: case work. A report's note thread and its outcomes (referral, informational, closed: the history, the
        // latest is current) in tables of their own; its assignment to a reviewer as columns of the report.
        """
        CREATE TABLE report_notes (
            id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            report_id uuid   NOT NULL REFERENCES reports (id),
            author    text   NOT NULL,
            at        bigint NOT NULL,  -- UTC ticks
            text      text   NOT NULL
        );
        CREATE INDEX report_notes_by_report ON report_notes (report_id, id);

        CREATE TABLE report_outcomes (
            id        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            report_id uuid    NOT NULL REFERENCES reports (id),
            kind      integer NOT NULL,  -- OutcomeKind
            recipient text,              -- the agency or queue of a referral
            note      text,
            actor     text    NOT NULL,
            at        bigint  NOT NULL
        );
        CREATE INDEX report_outcomes_by_report ON report_outcomes (report_id, id);

        ALTER TABLE reports
            ADD COLUMN assigned_to text,    -- the reviewer's API key id
            ADD COLUMN assigned_by text,
            ADD COLUMN assigned_at bigint;
        """,

        // 7: exchanges: a provider keeping a list in step (credentials encrypted by the application), its fetch state
        // and lease, and which list entries each of the provider's items became (so a later record or a tombstone
        // replaces or removes exactly those).
        """
        CREATE TABLE exchanges (
            id              uuid    NOT NULL PRIMARY KEY,
            name            text    NOT NULL UNIQUE,
            kind            text    NOT NULL,             -- ExchangeKinds
            list_name       text    NOT NULL,
            settings        text    NOT NULL,             -- JSON object, nothing secret
            credentials     bytea   NOT NULL,             -- encrypted (AES-GCM envelope bound to id)
            interval_ticks  bigint  NOT NULL,
            enabled         boolean NOT NULL,
            created_at      bigint  NOT NULL,
            next_fetch_at   bigint  NOT NULL,
            lease_token     uuid,
            leased_by       text,                      -- the holder (host/pid/n), to free it at once after a crash
            leased_until    bigint,
            checkpoint      text,
            checkpoint_at   bigint,
            last_fetch_at   bigint,
            last_success_at bigint,
            success         boolean,
            error           text,
            notice          text,
            added           bigint  NOT NULL DEFAULT 0,
            removed         bigint  NOT NULL DEFAULT 0
        );
        CREATE TABLE exchange_items (
            exchange_id uuid    NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
            item_key    text    NOT NULL,
            signal      text    NOT NULL,
            entry_id    integer NOT NULL,
            PRIMARY KEY (exchange_id, item_key, signal)
        );
        """,

        // 8: job lanes (JobLane): a report with a video is processed in the video lane, leased by its own share of the
        // workers. Jobs queued before keep lane 0 (general), as they were run until now.
        """
        ALTER TABLE jobs ADD COLUMN lane integer NOT NULL DEFAULT 0;
        CREATE INDEX jobs_pending_by_lane ON jobs (lane, priority DESC, id) WHERE state = 'pending';
        """,

        // 9: links as clusters. A shared value (an email, an IP, a camera serial...) is one cluster row with one member
        // row per report holding it; copies and near-duplicates of an image are one media cluster (union-find on write:
        // the smaller cluster's members move to the larger), one member row per file. Storage grows with reports, not
        // with pairs of them (a viral file's 50,000 reports: 50,000 rows, not a billion). The pairwise rows move over:
        // shared values exactly; media links are re-derived by triaging their reports again (from their keys and the
        // near-duplicate index), as a pairwise row does not say which cluster its files belong to.
        """
        CREATE TABLE link_clusters (
            id         bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind       integer NOT NULL,  -- LinkKind of the shared value; SimilarMedia (1) for a media cluster
            value      text,              -- the shared value; NULL for a media cluster
            members    integer NOT NULL DEFAULT 0,
            created_at bigint  NOT NULL
        );
        CREATE UNIQUE INDEX link_clusters_by_value ON link_clusters (kind, value) WHERE value IS NOT NULL;

        CREATE TABLE link_members (
            cluster_id bigint  NOT NULL REFERENCES link_clusters (id),
            report_id  uuid    NOT NULL REFERENCES reports (id),
            file_id    uuid,              -- media and camera serials: the report's file
            kind       integer NOT NULL,  -- LinkKind: why it joined
            value      text    NOT NULL,  -- the evidence ("sha256:...", "pdq:12", the email)
            via_file   uuid,              -- media: the file it was found to match when it joined
            distance   integer,           -- media: PDQ bits from via_file
            created_at bigint  NOT NULL
        );
        CREATE UNIQUE INDEX link_members_unique ON link_members (cluster_id, report_id, COALESCE(file_id, '00000000-0000-0000-0000-000000000000'));
        CREATE INDEX link_members_by_cluster ON link_members (cluster_id, created_at DESC);
        CREATE INDEX link_members_by_report ON link_members (report_id);
        CREATE INDEX link_members_by_file ON link_members (file_id) WHERE file_id IS NOT NULL;

        INSERT INTO link_clusters (kind, value, created_at)
            SELECT kind, value, MIN(created_at) FROM report_links WHERE kind NOT IN (0, 1) GROUP BY kind, value;
        INSERT INTO link_members (cluster_id, report_id, file_id, kind, value, created_at)
            SELECT c.id, l.report_a, l.file_a, l.kind, l.value, l.created_at FROM report_links l JOIN link_clusters c ON c.kind = l.kind AND c.value = l.value
            UNION ALL
            SELECT c.id, l.report_b, l.file_b, l.kind, l.value, l.created_at FROM report_links l JOIN link_clusters c ON c.kind = l.kind AND c.value = l.value
            ORDER BY 6
            ON CONFLICT DO NOTHING;
        UPDATE link_clusters SET members = (SELECT COUNT(*) FROM link_members m WHERE m.cluster_id = link_clusters.id);
        INSERT INTO jobs (kind, subject_id, state, attempts, available_at, created_at, priority, lane)
            SELECT 'triage-report', r.id, 'pending', 0, 0, (SELECT MAX(created_at) FROM report_links), CASE WHEN r.escalate THEN 100 ELSE 0 END, 0
            FROM reports r
            WHERE r.id IN (SELECT report_a FROM report_links WHERE kind IN (0, 1) UNION SELECT report_b FROM report_links WHERE kind IN (0, 1))
                AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.subject_id = r.id AND j.kind = 'triage-report' AND j.state = 'pending');
        DROP TABLE report_links;
        """,

        // 10: flood guard. Files matched per list entry per hour (UTC ticks of the hour's start), added in the
        // transaction that records the matches; and the entries quarantined for a sudden surge (released_at set once an
        // admin releases one: its rate then becomes the entry's baseline).
        """
        CREATE TABLE entry_match_counts (
            list_name text    NOT NULL,
            entry_id  integer NOT NULL,
            bucket    bigint  NOT NULL,  -- UTC ticks of the hour
            matches   bigint  NOT NULL,  -- files matched
            PRIMARY KEY (list_name, entry_id, bucket)
        );

        CREATE TABLE entry_quarantines (
            list_name      text    NOT NULL,
            entry_id       integer NOT NULL,
            matches        bigint  NOT NULL,  -- files matched in the window when quarantined
            baseline       double precision NOT NULL,  -- files per window the entry's history had
            window_ticks   bigint  NOT NULL,
            quarantined_at bigint  NOT NULL,
            released_at    bigint,
            released_by    text,
            PRIMARY KEY (list_name, entry_id)
        );
        """,

        // 11: full re-fetch as mark and sweep. A full fetch (a stale checkpoint, or an admin's request) starts a new
        // sweep generation; every item it delivers is marked with it; once it completes, the exchange's items still
        // marked with an older generation are removed. Kept in the row so a fetch resumed after a crash goes on marking.
        """
        ALTER TABLE exchanges ADD COLUMN full_fetch_requested boolean NOT NULL DEFAULT false;
        ALTER TABLE exchanges ADD COLUMN full_fetch boolean NOT NULL DEFAULT false;
        ALTER TABLE exchanges ADD COLUMN sweep_generation bigint NOT NULL DEFAULT 0;
        ALTER TABLE exchange_items ADD COLUMN seen_generation bigint NOT NULL DEFAULT 0;
        """,

        // 12: feedback to exchange providers: a durable queue, one row per feedback on a provider's item (state: 0 queued,
        // 1 sending, 2 sent, 3 failed, 4 cancelled; next_attempt_at is also a sender's lease end), and the item of a list
        // entry found by its entry id.
        """
        CREATE TABLE exchange_feedback (
            id              bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            exchange_id     uuid    NOT NULL REFERENCES exchanges (id) ON DELETE CASCADE,
            item_key        text    NOT NULL,
            verdict         integer NOT NULL,  -- FeedbackVerdict
            list_name       text    NOT NULL,
            entry_id        integer NOT NULL,
            signal          text    NOT NULL,
            value           text    NOT NULL,
            file_id         uuid    NOT NULL,
            origin          text    NOT NULL,  -- decision or false-positive
            actor           text    NOT NULL,
            details         text    NOT NULL,  -- JSON: what the provider needs to find its item; nothing secret
            created_at      bigint  NOT NULL,
            state           integer NOT NULL,  -- FeedbackState
            attempts        integer NOT NULL DEFAULT 0,
            next_attempt_at bigint  NOT NULL,
            lease_token     uuid,
            leased_by       text,
            leased_until    bigint,
            error           text,
            sent_at         bigint
        );
        CREATE INDEX exchange_feedback_by_item ON exchange_feedback (exchange_id, item_key, id);
        CREATE INDEX exchange_feedback_due ON exchange_feedback (next_attempt_at, id) WHERE state IN (0, 1);
        CREATE INDEX exchange_feedback_by_entry ON exchange_feedback (list_name, entry_id);
        CREATE INDEX exchange_items_by_entry ON exchange_items (exchange_id, entry_id);
        """,

        // 13: robust tier: each processed image's global descriptor (half floats) apart from its whole robust entry
        // (descriptor and keypoints, read only for candidates), followed by the in-memory similarity column in seq
        // order; a robust match's inliers, transform and similarity; and list entries large enough for robust values.
        """
        CREATE TABLE robust_features (
            seq        bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            file_id    uuid    NOT NULL UNIQUE REFERENCES files (id),
            report_id  uuid    NOT NULL REFERENCES reports (id),
            descriptor bytea   NOT NULL,  -- little-endian half floats
            features   text    NOT NULL,  -- r1. + base64 (RobustFeatures)
            created_at bigint  NOT NULL
        );
        ALTER TABLE matches ADD COLUMN robust jsonb;  -- RobustMatchDetails

        -- A robust entry's value (descriptor and keypoints, ~25 KB) is over a btree row's 8 KB limit: the value index
        -- becomes a hash index (equality only, which is all it serves; hash codes have no size limit).
        DROP INDEX list_entries_by_value;
        CREATE INDEX list_entries_by_value ON list_entries USING hash (value);
        """,

        // 14: decided media: finding a decided copy of a file looks only among decided files, so a viral file's thousands
        // of undecided copies are not visited on every triage.
        """
        CREATE INDEX files_decided_by_sha256 ON files (sha256) WHERE sha256 IS NOT NULL AND current_decision_id IS NOT NULL;
        CREATE INDEX files_decided_by_md5 ON files (md5) WHERE md5 IS NOT NULL AND current_decision_id IS NOT NULL;
        CREATE INDEX files_decided_by_pdq ON files (pdq) WHERE pdq IS NOT NULL AND current_decision_id IS NOT NULL;
        """,

        // 15: list imports: one row per import job (state and counts), so its progress and outcome can be read from any node.
        """
        CREATE TABLE list_imports (
            id           uuid    NOT NULL PRIMARY KEY,
            list_name    text    NOT NULL,
            state        text    NOT NULL,  -- ListImportState
            actor        text    NOT NULL,
            node         text    NOT NULL,  -- host and process running it
            started_at   bigint  NOT NULL,  -- UTC ticks
            finished_at  bigint,
            format       text,
            records_read integer NOT NULL,
            imported     integer NOT NULL,
            invalid      integer NOT NULL,
            errors       text             -- JSON array of strings
        );
        """,

        // 16: list entries lose their value index: nothing looks entries up by value (matching is in memory; the store
        // reads entries by list and id), and on an import of random hash values it cost more than the rows themselves.
        """
        DROP INDEX list_entries_by_value;
        """,

        // 17: robust features shared by identical copies: a row holding features records the file's SHA-256 (found by the
        // next copy), and a copy's row holds only same_as, the file whose row has them.
        """
        ALTER TABLE robust_features
            ALTER COLUMN descriptor DROP NOT NULL,
            ALTER COLUMN features DROP NOT NULL,
            ADD COLUMN sha256 text,
            ADD COLUMN same_as uuid REFERENCES files (id),
            ADD CONSTRAINT robust_features_copy_or_features CHECK ((features IS NULL) = (same_as IS NOT NULL));
        UPDATE robust_features r SET sha256 = f.sha256 FROM files f WHERE f.id = r.file_id;
        CREATE INDEX robust_features_by_sha256 ON robust_features (sha256) WHERE sha256 IS NOT NULL;
        """,

        // 18: robust features record the model that made them (descriptors of different models are not comparable): the
        // model's identity (SHA-256, see ImageDescriptorModel.ModelId) on rows holding features; null for the default
        // ResNet18, which made every row stored before. Identical copies and similarity compare within one model only.
        """
        ALTER TABLE robust_features ADD COLUMN model text;
        """,

        // 19: list entries lose their foreign key to lists: on COPY PostgreSQL checks it with a query per row (measured
        // 1M rows in 5.1-5.2 s with it, 2.0-3.7 s without), the largest part of a list import's cost in the database.
        // The entries of a deleted list are deleted by the store in the same transaction (they were cascaded).
        """
        ALTER TABLE list_entries DROP CONSTRAINT list_entries_list_id_fkey;
        """,
    ];

    public static int LatestVersion => Steps.Count;

    /// <summary>The version of the schema, 0 when there is none yet.</summary>
    public static async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction, CancellationToken cancellationToken)
    {
        var exists = await connection.Command(transaction, "SELECT to_regclass('schema_version') IS NOT NULL;").ScalarAsync(cancellationToken).ConfigureAwait(false);
        if (exists is not true)
        {
            return 0;
        }

        var version = await connection.Command(transaction, "SELECT version FROM schema_version;").ScalarAsync(cancellationToken).ConfigureAwait(false);
        return version is null ? 0 : Convert.ToInt32(version, CultureInfo.InvariantCulture);
    }

    /// <summary>Brings the schema to <see cref="LatestVersion"/>, one transaction per step; refuses a newer database.</summary>
    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, string databaseName, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var applied = 0;
            while (true)
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    // Taken before anything is read: a process that waited here sees the version the other one committed.
                    await PostgresDialect.Instance.LockAsync(connection, transaction, MigrationLockKey, cancellationToken).ConfigureAwait(false);
                    await connection
                        .Command(transaction, """
                            CREATE TABLE IF NOT EXISTS schema_version (
                                one     boolean NOT NULL PRIMARY KEY DEFAULT true CHECK (one),  -- a single row
                                version integer NOT NULL
                            );
                            """)
                        .RunAsync(cancellationToken)
                        .ConfigureAwait(false);
                    var version = await ReadVersionAsync(connection, transaction, cancellationToken).ConfigureAwait(false);
                    if (version > LatestVersion)
                    {
                        throw new NewerSchemaException("PostgreSQL", databaseName, version, LatestVersion);
                    }

                    if (version == LatestVersion)
                    {
                        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                        return applied;
                    }

                    var next = version + 1;
                    await connection.Command(transaction, Steps[next - 1]).RunAsync(cancellationToken).ConfigureAwait(false);
                    await PostgresDialect.Instance
                        .Command(connection, transaction, "INSERT INTO schema_version (version) VALUES (@version) ON CONFLICT (one) DO UPDATE SET version = excluded.version;")
                        .With("@version", next)
                        .RunAsync(cancellationToken)
                        .ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    applied++;
                }
            }
        }
    }
}
