"""Schema migrations, applied in order and counted by ``PRAGMA user_version``.

Never edit a migration that has shipped: add the next one. Personal data lives only in
``*_enc`` columns (sealed blobs) and ``*_index`` columns (blind indexes).
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: people, addressees, messages and their timeline, batches, outbox, inbox, audit, roles.
    """
    CREATE TABLE people (
        id TEXT PRIMARY KEY,
        tg_index BLOB NOT NULL UNIQUE,
        chat_enc BLOB,
        lang TEXT NOT NULL,
        consent_at TEXT,
        profile_enc BLOB,
        unreachable INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL
    );
    CREATE TABLE addressees (
        id TEXT PRIMARY KEY,
        family_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        data_enc BLOB NOT NULL,
        detainee_index BLOB,
        site_code TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX addressees_family ON addressees(family_id);
    CREATE TABLE batches (
        id TEXT PRIMARY KEY,
        site_code TEXT NOT NULL,
        created_at TEXT NOT NULL,
        message_count INTEGER NOT NULL,
        page_size TEXT NOT NULL,
        sha256 TEXT
    );
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        ref_index BLOB NOT NULL UNIQUE,
        ref_enc BLOB NOT NULL,
        kind TEXT NOT NULL,
        parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
        family_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        addressee_id TEXT REFERENCES addressees(id) ON DELETE CASCADE,
        site_code TEXT NOT NULL,
        lang TEXT NOT NULL,
        channel TEXT NOT NULL DEFAULT 'paper',
        state TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        body_enc BLOB,
        photo_enc BLOB,
        findings_enc BLOB,
        decision_enc BLOB,
        sealed_enc BLOB,
        block_count INTEGER NOT NULL DEFAULT 0,
        batch_id TEXT REFERENCES batches(id),
        claimed_by TEXT,
        lease_until TEXT,
        submit_key TEXT,
        due_at TEXT,
        submitted_at TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX messages_queue ON messages(state, due_at, submitted_at);
    CREATE INDEX messages_family ON messages(family_id, created_at);
    CREATE INDEX messages_site_state ON messages(site_code, state);
    CREATE INDEX messages_batch ON messages(batch_id);
    CREATE UNIQUE INDEX messages_submit ON messages(family_id, submit_key);
    CREATE TABLE events (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (message_id, seq)
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        payload_enc BLOB NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        not_before TEXT NOT NULL,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        tg_message_id INTEGER
    );
    CREATE INDEX outbox_pending ON outbox(state, not_before);
    CREATE TABLE inbox (
        update_id INTEGER PRIMARY KEY,
        payload_enc BLOB,
        state TEXT NOT NULL DEFAULT 'pending',
        received_at TEXT NOT NULL
    );
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE roles (
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        languages TEXT NOT NULL DEFAULT '',
        granted_by TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        PRIMARY KEY (person_id, role, site_code)
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        object TEXT NOT NULL,
        detail TEXT NOT NULL,
        prev TEXT NOT NULL,
        mac TEXT NOT NULL
    );
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """,
    # 2: digital delivery between two families (invitations and links), per-user counters
    # for abuse limits, and held messages for released detainees.
    """
    CREATE TABLE invitations (
        code_index BLOB PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE TABLE links (
        id TEXT PRIMARY KEY,
        a_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        b_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE TABLE counters (
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        window TEXT NOT NULL,
        count INTEGER NOT NULL,
        PRIMARY KEY (person_id, name, window)
    );
    CREATE TABLE claims (
        id TEXT PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        detainee_index BLOB NOT NULL,
        confirmations TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'open',
        created_at TEXT NOT NULL
    );
    """,
    # 3: conversation state (a message being composed survives a restart), sealed.
    """
    CREATE TABLE drafts (
        person_id TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
        data_enc BLOB NOT NULL,
        updated_at TEXT NOT NULL
    );
    """,
    # 4: which messages a print batch holds, in print order, and the language of its labels,
    # so that exporting a batch again reproduces the same file even after a message of it
    # was re-queued for another site (its batch_id then moves on to the next batch); and the
    # sealed name and birth date of a claim by a released detainee, for matching.
    """
    CREATE TABLE batch_items (
        batch_id TEXT NOT NULL REFERENCES batches(id),
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        PRIMARY KEY (batch_id, message_id)
    );
    CREATE INDEX batch_items_message ON batch_items(message_id);
    ALTER TABLE batches ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
    ALTER TABLE claims ADD COLUMN data_enc BLOB;
    """,
    # 5: the review queue at scale (bench/store_bench.py, a million messages: claim_next p99
    # 258 ms, from a full scan for expired leases and a sort of every waiting row). Expiring
    # leases reads only claimed rows; the queue's overdue-first order is sorted from one
    # covering index of the rows in a state and language, without reading the rows.
    """
    CREATE INDEX messages_leased ON messages(lease_until) WHERE claimed_by IS NOT NULL;
    CREATE INDEX messages_waiting ON messages(state, lang, submitted_at, due_at);
    """,
    # The sender of a waiting update (a blind index, as people.tg_index), so that /forget
    # erases the family's updates still waiting in the inbox (issue 14).
    """
    ALTER TABLE inbox ADD COLUMN sender_index BLOB;
    CREATE INDEX inbox_sender ON inbox(sender_index);
    """,
    # review: a photo's own verdict (NULL: not judged yet; 'keep', or the code of the reason
    # it was removed); the staff member of a message's first judgement (an escalation or a
    # proposed override), who may not make the second; staff who muted their alerts; when
    # a site's backlog summary was last sent; what the staff confirming a claim checked.
    """
    ALTER TABLE messages ADD COLUMN photo_verdict TEXT;
    ALTER TABLE messages ADD COLUMN judged_by TEXT;
    CREATE TABLE staff_alerts (
        person_id TEXT PRIMARY KEY REFERENCES people(id) ON DELETE CASCADE,
        muted INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE alert_marks (
        site_code TEXT NOT NULL,
        kind TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (site_code, kind)
    );
    ALTER TABLE claims ADD COLUMN checks TEXT NOT NULL DEFAULT '';
    CREATE INDEX claims_person ON claims(person_id, state);
    """,
    # the staff web console: single-use login links and browser sessions, both kept only
    # as blind indexes of their random tokens (a copy of the database opens no session).
    """
    CREATE TABLE console_links (
        token_index BLOB PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE TABLE console_sessions (
        token_index BLOB PRIMARY KEY,
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        seen_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE INDEX console_sessions_person ON console_sessions(person_id);
    -- The backlog by site and language (the console's /queue, the bot's /queue) read every
    -- waiting row to find its site: 141 ms p50 at a million messages (bench/console_bench.py).
    -- This index covers the query, so it counts from the index alone.
    CREATE INDEX messages_backlog ON messages(state, site_code, lang, submitted_at, due_at);
    """,
    # several workers on one PostgreSQL database: an outbox row being sent and an inbox
    # update being handled are leased, so that when a worker dies another takes them over
    # once the lease ends, and never while the owner is alive.
    """
    ALTER TABLE outbox ADD COLUMN lease_until TEXT;
    ALTER TABLE inbox ADD COLUMN lease_until TEXT;
    """,
    # written language: the language a message is written in, detected at submit
    # (relay/langdetect.py; NULL when unknown or for replies). The review queue routes by it
    # when known, else by the family's interface language (``lang``), from this index.
    """
    ALTER TABLE messages ADD COLUMN written_lang TEXT;
    CREATE INDEX messages_waiting_written
        ON messages(state, (COALESCE(written_lang, lang)), submitted_at, due_at);
    """,
    # conversation state per feature (issue 11): one sealed, versioned row per person and
    # feature (compose, review card, delegate reply, invitation) instead of one shared
    # blob, so that finishing one feature never erases another's. The old blobs are dropped,
    # not carried over: splitting them needs the family keys (not SQL), and what they held is
    # unconfirmed work (a letter not yet sent, a card's unsaved ticks, a reply photo waiting
    # for its reference, an invitation not yet accepted) that the person redoes in a step.
    """
    CREATE TABLE conversation_state (
        person_id TEXT NOT NULL REFERENCES people(id) ON DELETE CASCADE,
        feature TEXT NOT NULL,
        version INTEGER NOT NULL,
        data_enc BLOB NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (person_id, feature)
    );
    DROP TABLE drafts;
    """,
    # channels (issue 11): relay/ knows a person by a channel address, not by a messenger.
    # Names only; the values stay (the blind index keeps its label, see relay.channels):
    # people.tg_index and chat_enc (the sealed reply address), the message id a channel
    # gave an outbox row, and the waiting input's key (the transport's own id for it).
    """
    ALTER TABLE people RENAME COLUMN tg_index TO channel_index;
    ALTER TABLE people RENAME COLUMN chat_enc TO address_enc;
    ALTER TABLE outbox RENAME COLUMN tg_message_id TO channel_message_id;
    ALTER TABLE inbox RENAME COLUMN update_id TO id;
    """,
]

VAULT_SCHEMA = """
CREATE TABLE IF NOT EXISTS vault.family_keys (
    owner_id TEXT PRIMARY KEY,
    wrapped BLOB NOT NULL,
    created_at TEXT NOT NULL
);
"""
# The head of the audit chain, kept beside the keys (not in the database or its backups), so
# that cutting entries off the end of the chain is detected too.
VAULT_AUDIT_HEAD = """
CREATE TABLE IF NOT EXISTS vault.audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    mac TEXT NOT NULL
);
"""
