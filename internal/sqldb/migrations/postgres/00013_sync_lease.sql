-- +goose Up
-- One sync per account at a time, across replicas: a sync job holds a
-- short lease on the account, renewed while it runs, so that a job left
-- behind by a crashed process stops blocking within the lease.
ALTER TABLE sync_state ADD COLUMN sync_lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE sync_state ADD COLUMN sync_lease_until BIGINT NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE sync_state DROP COLUMN sync_lease_until;
ALTER TABLE sync_state DROP COLUMN sync_lease_owner;
