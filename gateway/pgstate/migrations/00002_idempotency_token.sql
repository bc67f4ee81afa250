-- Each request's record of a key carries a token of its own, so that a
-- request that outlived its record (expired, then taken by a retry) can
-- neither answer nor release the retry's record.

-- +goose Up
ALTER TABLE gateway_state.idempotency ADD COLUMN token text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE gateway_state.idempotency DROP COLUMN token;
