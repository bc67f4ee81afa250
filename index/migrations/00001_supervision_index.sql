-- The supervision index (package index). Every row is derived from
-- audited blocks; nothing here is entered by hand.

-- +goose Up
-- channels: where each channel's indexing stands.
CREATE UNLOGGED TABLE channels (
    channel         text PRIMARY KEY,
    height          bigint      NOT NULL DEFAULT 0,  -- blocks indexed: every block below it
    checkpoint      jsonb,                           -- the chain audit's checkpoint after block height-1
    genesis         bytea,                           -- header hash of block 0: which network's channel this is
    division        text        NOT NULL DEFAULT '', -- from its jurisdiction record
    last_block_time timestamptz,
    indexed_at      timestamptz,
    broken_block    bigint,                          -- the first block that failed the audit
    broken_reason   text
);

-- blocks: every audited block, for the audit status and the rates.
CREATE UNLOGGED TABLE blocks (
    channel      text        NOT NULL,
    number       bigint      NOT NULL,
    header_hash  bytea       NOT NULL,
    time         timestamptz,
    transactions int         NOT NULL,
    valid        int         NOT NULL,
    config       boolean     NOT NULL,
    PRIMARY KEY (channel, number)
);

-- versions: every write of a valid transaction to a record, as written.
CREATE UNLOGGED TABLE versions (
    channel     text        NOT NULL,
    kind        text        NOT NULL,
    id          text        NOT NULL,
    block       bigint      NOT NULL,
    tx_index    int         NOT NULL,
    tx_id       text        NOT NULL,
    tx_time     timestamptz NOT NULL,
    function    text        NOT NULL,
    creator_msp text        NOT NULL,
    deleted     boolean     NOT NULL,
    body        json,       -- as written (json: kept as text, not parsed into jsonb: nothing queries inside it)
    PRIMARY KEY (channel, kind, id, block, tx_index)
);

-- records: the latest version of every record, one partition per kind;
-- its body is its latest row of versions (block, tx_index).
CREATE TABLE records (
    kind        text        NOT NULL,
    channel     text        NOT NULL,
    id          text        NOT NULL,
    status      text        NOT NULL,
    outcome     text        NOT NULL,
    division    text        NOT NULL,
    parties     text[]      NOT NULL,
    ref         text        NOT NULL,
    title       text        NOT NULL,
    record_date date,
    late        boolean     NOT NULL,
    open        boolean     NOT NULL,
    deemed      boolean     NOT NULL,
    deemed_on   date,
    due         date,
    versions    int         NOT NULL,
    first_block bigint      NOT NULL,
    first_time  timestamptz NOT NULL,
    block       bigint      NOT NULL,
    tx_index    int         NOT NULL,
    tx_id       text        NOT NULL,
    tx_time     timestamptz NOT NULL,
    deleted     boolean     NOT NULL,
    PRIMARY KEY (kind, channel, id)
) PARTITION BY LIST (kind);
CREATE UNLOGGED TABLE settings         PARTITION OF records FOR VALUES IN ('jurisdiction', 'profile', 'calendar');
CREATE UNLOGGED TABLE parties          PARTITION OF records FOR VALUES IN ('party');
CREATE UNLOGGED TABLE issuer_keys      PARTITION OF records FOR VALUES IN ('issuerKey');
CREATE UNLOGGED TABLE agreements       PARTITION OF records FOR VALUES IN ('agreement');
CREATE UNLOGGED TABLE credentials      PARTITION OF records FOR VALUES IN ('credential');
CREATE UNLOGGED TABLE applications     PARTITION OF records FOR VALUES IN ('application');
CREATE UNLOGGED TABLE certificates     PARTITION OF records FOR VALUES IN ('certificate');
CREATE UNLOGGED TABLE objections       PARTITION OF records FOR VALUES IN ('objection');
CREATE UNLOGGED TABLE egress_checks    PARTITION OF records FOR VALUES IN ('egress');
CREATE UNLOGGED TABLE acknowledgements PARTITION OF records FOR VALUES IN ('ack');
CREATE UNLOGGED TABLE reports          PARTITION OF records FOR VALUES IN ('report');
CREATE UNLOGGED TABLE other_records    PARTITION OF records DEFAULT; -- a kind a later migration has not given a table yet

CREATE INDEX records_changed  ON records (channel, tx_time, id);
CREATE INDEX records_recorded ON records (channel, first_time, id);
CREATE INDEX records_ref      ON records (channel, ref) WHERE ref <> '';
CREATE INDEX records_parties  ON records USING gin (parties);

-- +goose Down
DROP TABLE records;
DROP TABLE versions;
DROP TABLE blocks;
DROP TABLE channels;
