-- Subscription and delivery IDs order by their bytes (as the file
-- store's keys do), whatever the database's collation.

-- +goose Up
ALTER TABLE gateway_state.webhook_subscriptions ALTER COLUMN id TYPE text COLLATE "C";
ALTER TABLE gateway_state.webhook_deliveries ALTER COLUMN id TYPE text COLLATE "C";

-- +goose Down
ALTER TABLE gateway_state.webhook_deliveries ALTER COLUMN id TYPE text COLLATE "default";
ALTER TABLE gateway_state.webhook_subscriptions ALTER COLUMN id TYPE text COLLATE "default";
