-- The state a gateway's instances share (package pgstate), in a schema
-- of its own (gateway_state).

-- +goose Up
-- idempotency: one row per (caller, Idempotency-Key); status 0 while its
-- request is in flight. A row older than the gateway's TTL is dead.
CREATE TABLE gateway_state.idempotency (
    key       text        PRIMARY KEY,
    body_hash text        NOT NULL,
    status    int         NOT NULL DEFAULT 0,
    response  bytea,
    at        timestamptz NOT NULL
);
CREATE INDEX idempotency_at ON gateway_state.idempotency (at);

-- checkpoints: where each channel's chain audit stopped.
CREATE TABLE gateway_state.checkpoints (
    channel    text        PRIMARY KEY,
    next       bigint      NOT NULL,
    checkpoint jsonb       NOT NULL,
    at         timestamptz NOT NULL
);

-- +goose Down
DROP TABLE gateway_state.checkpoints;
DROP TABLE gateway_state.idempotency;
