import { useCallback, useEffect, useMemo, useState } from 'react';
import { api } from '../api/client';
import { DagGraph, type GraphTask } from '../components/DagGraph';
import { StatusBadge } from '../components/StatusBadge';
import { usePolling, useSubscription } from '../live/connection';
import { duration, int, time, usd } from '../lib/format';
import { navigate } from '../router';
import { useDags } from '../stores/dags';
import { useTasks } from '../stores/tasks';

const legend = ['pending', 'queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled', 'skipped'];

/** One DAG: its graph live (dags and tasks channels filtered to it), the critical path, usage; a node opens its task. */
export function DagView({ id }: { id: string }) {
  const dag = useDags((s) => s.byId[id]);
  const load = useDags((s) => s.load);
  const tasks = useTasks((s) => s.byId);
  const upsertTask = useTasks((s) => s.upsert);
  const [error, setError] = useState<string>();

  const refresh = useCallback(() => load(id).then(() => setError(undefined), (e: Error) => setError(e.message)), [id, load]);
  usePolling(refresh, 15_000, 3_000);
  // The dags channel carries the DAG's own events and its tasks' (docs/websocket.md).
  useSubscription('dags', { dag_id: id });
  // The usage is summed by the server: read it again when the DAG ends.
  const status = dag?.status;
  useEffect(() => {
    if (status && ['succeeded', 'failed', 'cancelled'].includes(status)) refresh();
  }, [status, refresh]);

  // Timings (for the critical path) come from the tasks themselves; small DAGs are read whole, once per status change.
  const finished = dag?.tasks?.filter((t) => t.status === 'succeeded' || t.status === 'failed').length ?? 0;
  useEffect(() => {
    if (!dag || dag.task_count > 2000) return;
    let cancelled = false;
    (async () => {
      let cursor: string | undefined;
      do {
        const page = await api.tasks({ dag_id: id, limit: 500, cursor });
        if (cancelled) return;
        page.items.forEach(upsertTask);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
    })().catch(() => undefined);
    return () => {
      cancelled = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- reread when tasks finish
  }, [id, dag?.task_count, finished]);

  const graph: GraphTask[] = useMemo(() => {
    const summaries = dag?.tasks ?? [];
    const byKey = new Map(summaries.map((t) => [t.key, t.id]));
    return summaries.map((t) => ({
      id: t.id,
      label: t.key,
      status: t.status,
      dependsOn: (t.depends_on ?? []).map((k) => byKey.get(k)).filter((x): x is string => !!x),
    }));
  }, [dag?.tasks]);
  const weight = useCallback((taskId: string) => {
    const t = tasks[taskId];
    return Math.max(1, duration(t?.started_at, t?.finished_at ?? (t?.status === 'running' ? null : t?.started_at)) ?? 1);
  }, [tasks]);

  if (!dag) {
    return <section aria-busy="true"><h1>DAG</h1>{error ? <p role="alert" className="error-text">{error}</p> : <p>Loading…</p>}</section>;
  }
  const counts = new Map<string, number>();
  for (const t of dag.tasks ?? []) counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
  const ended = ['succeeded', 'failed', 'cancelled'].includes(dag.status);
  return (
    <section aria-labelledby="dag-title">
      <div className="row">
        <h1 id="dag-title" className="grow">
          DAG {dag.name} <StatusBadge status={dag.status} />
        </h1>
        <button type="button" className="danger" disabled={ended} onClick={() => api.cancelDag(id).then(refresh, (e: Error) => setError(e.message))}>
          Cancel DAG
        </button>
      </div>
      {error ? <p role="alert" className="error-text">{error}</p> : null}
      <dl className="facts">
        <dt>Tasks</dt>
        <dd data-testid="dag-progress">
          {[...counts].map(([s, n]) => `${n} ${s.replace('_', ' ')}`).join(', ') || int(dag.task_count)}
        </dd>
        <dt>Failure policy</dt><dd>{dag.failure_policy}</dd>
        <dt>Created</dt><dd>{time(dag.created_at)}</dd>
        <dt>Finished</dt><dd>{time(dag.finished_at)}</dd>
        {dag.usage ? (<><dt>Usage</dt><dd>{int(dag.usage.input_tokens + dag.usage.output_tokens)} tokens, {usd(dag.usage.cost_usd)}</dd></>) : null}
      </dl>
      <div className="legend" aria-label="Legend">
        {legend.map((s) => <StatusBadge key={s} status={s} />)}
        <span className="badge" style={{ border: '3px solid var(--critical)' }}>critical path</span>
      </div>
      <DagGraph label={`Graph of DAG ${dag.name}`} tasks={graph} weight={weight} onOpen={(taskId) => navigate(`/tasks/${taskId}`)} />
      <p className="muted">Click a node, or focus it with Tab and press Enter, to open its task.</p>
    </section>
  );
}
