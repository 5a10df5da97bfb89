-- A bare queue table: primary key and one partial index for the queued rows, nothing the seed asks for.
CREATE TABLE bare_tasks (
    id uuid PRIMARY KEY,
    status text NOT NULL,
    instruction text NOT NULL,
    output text NULL,
    created_at timestamptz NOT NULL,
    finished_at timestamptz NULL
);
CREATE INDEX bare_tasks_queued ON bare_tasks (created_at) WHERE status = 'queued';
