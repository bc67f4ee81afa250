-- The webhook queue a gateway's instances share (webhook.SharedStore), in
-- the schema of their shared state (package pgstate).

-- +goose Up
-- subscriptions: each as JSON; lease_until/leased_by: the instance
-- delivering to it now (one delivery per subscription in flight, across
-- instances).
CREATE TABLE gateway_state.webhook_subscriptions (
    id          text        PRIMARY KEY,
    owner       text        NOT NULL,
    created     timestamptz NOT NULL,
    lease_until timestamptz,
    leased_by   text,
    subscription jsonb      NOT NULL
);
CREATE INDEX webhook_subscriptions_owner ON gateway_state.webhook_subscriptions (owner);

-- deliveries: each as JSON (the event, its body, every attempt), with the
-- columns the queue and the log are read by.
CREATE TABLE gateway_state.webhook_deliveries (
    id           text        PRIMARY KEY,
    subscription text        NOT NULL,
    type         text        NOT NULL,
    created      timestamptz NOT NULL,
    state        text        NOT NULL,
    next         timestamptz,
    done         timestamptz,
    attempts     int         NOT NULL DEFAULT 0,
    delivery     jsonb       NOT NULL
);
CREATE INDEX webhook_deliveries_due  ON gateway_state.webhook_deliveries (next, id) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_log  ON gateway_state.webhook_deliveries (subscription, created DESC, id DESC);
CREATE INDEX webhook_deliveries_done ON gateway_state.webhook_deliveries (done) WHERE state <> 'pending';

-- +goose Down
DROP TABLE gateway_state.webhook_deliveries;
DROP TABLE gateway_state.webhook_subscriptions;
