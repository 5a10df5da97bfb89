import { useCallback, useEffect, useState } from 'react';
import { api } from '../api/client';
import { StatusBadge } from '../components/StatusBadge';
import { usePolling, useSubscription } from '../live/connection';
import { duration, int, ms, time, usd } from '../lib/format';
import { Link } from '../router';
import { useTasks } from '../stores/tasks';

const terminal = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

function describe(type: string, data: Record<string, unknown>): string {
  const error = data.error as { code?: string; message?: string } | undefined;
  switch (type) {
    case 'task_started':
      return `attempt ${data.attempt} on ${data.worker}`;
    case 'task_retry_scheduled':
      return `attempt ${data.attempt} failed (${error?.code}); retry at ${time(data.run_at as string)}`;
    case 'task_failed':
    case 'task_cancelled':
    case 'task_skipped':
      return error ? `${error.code}: ${error.message}` : '';
    case 'task_succeeded':
      return `attempt ${data.attempt}`;
    case 'task_awaiting_approval':
      return `approval ${String(data.approval_id).slice(0, 8)}`;
    default:
      return '';
  }
}

/** One task: instruction, output (streamed while written), usage, attempts, error, events; cancel and retry. */
export function TaskView({ id }: { id: string }) {
  const task = useTasks((s) => s.byId[id]);
  const { load, loadHistory } = useTasks.getState();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const refresh = useCallback(() => load(id).then(() => setError(undefined), (e: Error) => setError(e.message)), [id, load]);
  usePolling(refresh, 20_000, 3_000);
  useSubscription('tasks', { task_id: id });
  const status = task?.status;
  useEffect(() => {
    if (status) loadHistory(id).catch(() => undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the history is reread when the status changes
  }, [id, status]);

  const act = async (what: 'cancel' | 'retry') => {
    setBusy(true);
    try {
      // The answer can arrive after live events of the change (a retried task is claimed at once): it does not undo them.
      const requestedAt = performance.now();
      useTasks.getState().upsert(what === 'cancel' ? await api.cancelTask(id) : await api.retryTask(id), requestedAt);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  if (!task) {
    return <section aria-busy="true"><h1>Task</h1>{error ? <p role="alert" className="error-text">{error}</p> : <p>Loading…</p>}</section>;
  }
  const done = terminal.has(task.status);
  const streaming = !done && task.streaming.length > 0;
  const output = task.output ?? (task.streaming || null);
  return (
    <section aria-labelledby="task-title">
      <div className="row">
        <h1 id="task-title" className="grow">
          Task {task.key ?? task.name} <StatusBadge status={task.status} />
        </h1>
        <button type="button" className="danger" disabled={done || busy} onClick={() => act('cancel')}>Cancel</button>
        <button type="button" disabled={!(task.status === 'failed' || task.status === 'cancelled') || busy} onClick={() => act('retry')}>Retry</button>
      </div>
      {error ? <p role="alert" className="error-text">{error}</p> : null}
      <dl className="facts">
        <dt>Name</dt><dd>{task.name}</dd>
        {task.dag_id ? (<><dt>DAG</dt><dd><Link to={`/dags/${task.dag_id}`}>{task.dag_id.slice(0, 8)}</Link> (node {task.key})</dd></>) : null}
        <dt>Agent</dt><dd>{task.agent}</dd>
        <dt>Attempts</dt><dd data-testid="attempts">{task.attempt} of {task.max_attempts}</dd>
        <dt>Tokens</dt><dd data-testid="tokens">{int(task.usage.input_tokens)} in, {int(task.usage.output_tokens)} out ({int(task.usage.api_calls)} calls)</dd>
        <dt>Cost</dt><dd data-testid="cost">{usd(task.usage.cost_usd, 6)}</dd>
        <dt>Created</dt><dd>{time(task.created_at)}</dd>
        <dt>Ran</dt><dd>{task.started_at ? `${time(task.started_at)} for ${ms(duration(task.started_at, task.finished_at))}` : '—'}</dd>
      </dl>
      {task.error ? (
        <div className="panel" role="alert" style={{ marginTop: 12 }}>
          <strong className="error-text">{task.error.code}</strong>: {task.error.message}
        </div>
      ) : null}
      <h2>Instruction</h2>
      <pre className="output" data-testid="instruction">{task.instruction}</pre>
      <h2 id="output-title">Output {streaming ? <span className="muted">(streaming)</span> : null}</h2>
      <pre className={`output${streaming ? ' streaming' : ''}`} data-testid="output" aria-labelledby="output-title" aria-live={streaming ? 'off' : 'polite'}>
        {output ?? (done ? 'No output.' : 'Not written yet.')}
      </pre>
      <h2>Events</h2>
      <ol className="timeline" data-testid="timeline">
        {task.timeline.map((e) => (
          <li key={e.seq}>
            <span className="mono muted">{e.created_at ? new Date(e.created_at).toISOString().slice(11, 23) : ''}</span>{' '}
            <strong>{e.event_type.replace('task_', '').replace(/_/g, ' ')}</strong> {describe(e.event_type, e.data)}
          </li>
        ))}
      </ol>
    </section>
  );
}
