-- +goose Up
-- An approved action runs under a lease: whoever runs it (the request that
-- approved it, or a replica's sweep) holds it until run_lease_until, a
-- little longer than a run may take. An action still approved once its
-- lease lapsed was interrupted (the process died before recording how it
-- went): a sweep takes the lease and runs it again, at most a few times
-- in all (run_attempts counts the runs).
ALTER TABLE actions ADD COLUMN run_lease_until TIMESTAMPTZ;
ALTER TABLE actions ADD COLUMN run_attempts INTEGER NOT NULL DEFAULT 0;
-- Actions left approved before leases existed were interrupted: the
-- sweep runs them again.
UPDATE actions SET run_lease_until = COALESCE(decided_at, created_at), run_attempts = 1 WHERE status = 'approved';
CREATE INDEX actions_run_lease_idx ON actions (run_lease_until) WHERE status = 'approved';

-- +goose Down
DROP INDEX actions_run_lease_idx;
ALTER TABLE actions DROP COLUMN run_attempts;
ALTER TABLE actions DROP COLUMN run_lease_until;
