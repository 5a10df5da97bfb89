import { useMemo, useState } from 'react';
import type { Approval } from '../api/types';
import { StatusBadge } from '../components/StatusBadge';
import { usePolling, useSubscription } from '../live/connection';
import { time } from '../lib/format';
import { Link } from '../router';
import { groupKey, useApprovals } from '../stores/approvals';

function Expires({ at }: { at: string }) {
  const left = Date.parse(at) - Date.now();
  const text = left <= 0 ? 'expired' : left < 3_600_000 ? `in ${Math.ceil(left / 60_000)} min` : `in ${(left / 3_600_000).toFixed(1)} h`;
  return <time dateTime={at} title={time(at)}>{text}</time>;
}

/**
 * Pending approvals (GET /api/v1/approvals?status=pending, live on the approvals channel), grouped by action, tool
 * and risk: each can be approved or rejected, or a selection of a group at once.
 */
export function ApprovalsView() {
  const { pending, loaded, load, decide } = useApprovals();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState<string>();
  usePolling(load, 15_000, 3_000);
  useSubscription('approvals');

  const groups = useMemo(() => {
    const map = new Map<string, Approval[]>();
    for (const a of pending) map.set(groupKey(a), [...(map.get(groupKey(a)) ?? []), a]);
    return [...map.values()];
  }, [pending]);

  const run = async (ids: string[], approve: boolean) => {
    if (!ids.length) return;
    const { failed } = await decide(ids, approve, reason || undefined);
    setSelected((s) => new Set([...s].filter((id) => !ids.includes(id))));
    const done = ids.length - failed.length;
    setMessage(
      `${done} ${approve ? 'approved' : 'rejected'}${failed.length ? `; ${failed.length} failed: ${failed.map((f) => f.message).join('; ')}` : ''}.`,
    );
  };

  const toggle = (id: string) => setSelected((s) => {
    const next = new Set(s);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">Approvals</h1>
      <div className="row">
        <label htmlFor="reason">Reason (optional, recorded with the decision)</label>
        <input id="reason" className="grow" value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <p role="status" aria-live="polite" data-testid="approval-message">{message}</p>
      {loaded && pending.length === 0 ? <p className="muted" data-testid="no-approvals">Nothing waits for a decision.</p> : null}
      {groups.map((items) => {
        const first = items[0];
        const ids = items.map((a) => a.id);
        const chosen = ids.filter((id) => selected.has(id));
        const title = `${first.action === 'run' ? 'Run' : `Tool ${first.tool}`} · ${first.risk} risk`;
        const headingId = `group-${first.id}`;
        return (
          <div className="group" key={groupKey(first)} role="group" aria-labelledby={headingId}>
            <div className="row">
              <h2 id={headingId} className="grow">
                {title} <span className="muted">({items.length})</span>
              </h2>
              <button type="button" onClick={() => setSelected((s) => new Set([...s, ...ids]))}>Select all {items.length}</button>
              <button type="button" className="primary" disabled={!chosen.length} onClick={() => run(chosen, true)}>
                Approve {chosen.length || ''} selected
              </button>
              <button type="button" className="danger" disabled={!chosen.length} onClick={() => run(chosen, false)}>
                Reject {chosen.length || ''} selected
              </button>
            </div>
            <table>
              <thead>
                <tr>
                  <th scope="col"><span className="visually-hidden">Select</span></th>
                  <th scope="col">Action</th>
                  <th scope="col">Arguments</th>
                  <th scope="col">Risk</th>
                  <th scope="col">Task</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Decide</th>
                </tr>
              </thead>
              <tbody>
                {items.map((a) => (
                  <tr key={a.id} data-testid="approval-row" data-task={a.task_id}>
                    <td>
                      <input type="checkbox" checked={selected.has(a.id)} onChange={() => toggle(a.id)} aria-label={`Select ${a.summary}`} />
                    </td>
                    <td>{a.action === 'run' ? 'run' : `tool_call ${a.tool}`}</td>
                    <td>
                      <div>{a.summary}</div>
                      <div className="mono muted" title="SHA-256 of the arguments' canonical JSON">{a.args_hash.slice(0, 16)}…</div>
                    </td>
                    <td><StatusBadge status={a.risk} /></td>
                    <td><Link to={`/tasks/${a.task_id}`}>{a.task_id.slice(0, 8)}</Link></td>
                    <td><Expires at={a.expires_at} /></td>
                    <td>
                      <div className="row">
                        <button type="button" className="primary" onClick={() => run([a.id], true)} aria-label={`Approve ${a.summary}`}>Approve</button>
                        <button type="button" className="danger" onClick={() => run([a.id], false)} aria-label={`Reject ${a.summary}`}>Reject</button>
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        );
      })}
    </section>
  );
}
