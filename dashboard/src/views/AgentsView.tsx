import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, useMemo, useRef, useState } from 'react';
import { StatusBadge } from '../components/StatusBadge';
import { usePolling, useSubscription } from '../live/connection';
import { int, usd } from '../lib/format';
import { Link } from '../router';
import { useAgents, type AgentActivity, type AgentStatus } from '../stores/agents';

const rowHeight = 32;
const headHeight = 34;
const none: AgentActivity = { running: 0, tokens: 0, costUsd: 0, succeeded: 0, failed: 0, status: 'idle', changedAt: 0 };

const Row = memo(function Row({ name, model, a, index, top }: { name: string; model: string; a: AgentActivity; index: number; top: number }) {
  return (
    <div className="grid-row" role="row" aria-rowindex={index + 2} style={{ position: 'absolute', top, left: 0, right: 0 }} data-testid="agent-row">
      <span role="cell">{name}</span>
      <span role="cell">{model}</span>
      <span role="cell"><StatusBadge status={a.status} /></span>
      <span role="cell" className="num">{a.running}</span>
      <span role="cell">{a.currentTask ? <Link to={`/tasks/${a.currentTask}`}>{a.currentTask.slice(0, 8)}</Link> : <span className="muted">—</span>}</span>
      <span role="cell" className="num">{int(a.tokens)}</span>
      <span role="cell" className="num">{usd(a.costUsd)}</span>
    </div>
  );
});

/**
 * Every agent (GET /api/v1/agents definitions, plus any agent heard in events) with live activity derived from task
 * events. Virtualised: only the rows in view are in the DOM, so 1,000+ agents updating many times a second stay smooth.
 */
export function AgentsView() {
  const definitions = useAgents((s) => s.definitions);
  const activity = useAgents((s) => s.activity);
  const load = useAgents((s) => s.load);
  const [status, setStatus] = useState<'all' | AgentStatus>('all');
  const [model, setModel] = useState('all');
  const [search, setSearch] = useState('');
  // With stats, the list costs two store reads per agent: reread it now and then; the activity is live.
  usePolling(load, 60_000, 30_000);
  useSubscription('agents');

  const modelOf = useMemo(() => new Map(definitions.map((d) => [d.name, d.cascade.length > 1 ? d.cascade.join(' → ') : d.model])), [definitions]);
  const models = useMemo(() => [...new Set(modelOf.values())].sort(), [modelOf]);
  const heard = Object.keys(activity).length;
  const names = useMemo(
    () => [...new Set([...definitions.map((d) => d.name), ...Object.keys(activity)])].sort(),
    // eslint-disable-next-line react-hooks/exhaustive-deps -- only a new agent changes the list, not its activity
    [definitions, heard],
  );
  const rows = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return names.filter(
      (n) =>
        (status === 'all' || (activity[n] ?? none).status === status) &&
        (model === 'all' || modelOf.get(n) === model) &&
        (!needle || n.toLowerCase().includes(needle)),
    );
  }, [names, activity, status, model, search, modelOf]);

  const scroller = useRef<HTMLDivElement>(null);
  // The header sits inside the scroller (sticky, so its columns line up with the rows'): rows start below it.
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 8,
    scrollMargin: headHeight,
  });
  const busy = names.reduce((n, name) => n + ((activity[name]?.status ?? 'idle') === 'busy' ? 1 : 0), 0);

  return (
    <section aria-labelledby="agents-title">
      <h1 id="agents-title">Agents</h1>
      <div className="row" style={{ marginBottom: 8 }}>
        <label htmlFor="agent-search">Name</label>
        <input id="agent-search" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <label htmlFor="agent-status">Status</label>
        <select id="agent-status" value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
          <option value="all">All</option>
          <option value="idle">Idle</option>
          <option value="busy">Busy</option>
          <option value="error">Error</option>
        </select>
        <label htmlFor="agent-model">Model</label>
        <select id="agent-model" value={model} onChange={(e) => setModel(e.target.value)}>
          <option value="all">All</option>
          {models.map((m) => <option key={m} value={m}>{m}</option>)}
        </select>
        <span className="muted" role="status" data-testid="agent-count">
          {rows.length} of {names.length} agents, {busy} busy
        </span>
      </div>
      <div ref={scroller} className="grid-scroll" tabIndex={0} role="table" aria-label="Agents (scroll with the arrow keys)" aria-rowcount={rows.length + 1} data-testid="agent-grid">
        <div className="grid-head" role="row" aria-rowindex={1}>
          <span role="columnheader">Agent</span>
          <span role="columnheader">Model</span>
          <span role="columnheader">Status</span>
          <span role="columnheader" className="num">Running</span>
          <span role="columnheader">Current task</span>
          <span role="columnheader" className="num">Tokens</span>
          <span role="columnheader" className="num">Cost</span>
        </div>
        <div role="rowgroup" style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => {
            const name = rows[item.index];
            return <Row key={name} name={name} model={modelOf.get(name) ?? '—'} a={activity[name] ?? none} index={item.index} top={item.start - headHeight} />;
          })}
        </div>
      </div>
    </section>
  );
}
