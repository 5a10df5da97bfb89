import { useCallback, useState } from 'react';
import { api } from '../api/client';
import type { RoutingSavings, UsageReport } from '../api/types';
import { Sparkline } from '../components/Sparkline';
import { usePolling } from '../live/connection';
import { int, usd } from '../lib/format';
import { Link } from '../router';

type Grouping = 'model' | 'agent' | 'dag';

const windows = [
  { label: 'Last hour', ms: 3_600_000 },
  { label: 'Last 24 hours', ms: 86_400_000 },
  { label: 'Last 7 days', ms: 7 * 86_400_000 },
  { label: 'Last 30 days', ms: 30 * 86_400_000 },
];

const buckets = 12;

interface Loaded {
  total: UsageReport;
  series: UsageReport[];
  routing: RoutingSavings;
  from: string;
}

/** Spend by model, agent or DAG over a window (GET /api/v1/usage, once for the window and once per twelfth of it), and cascade savings. */
export function CostsView() {
  const [grouping, setGrouping] = useState<Grouping>('model');
  const [windowMs, setWindowMs] = useState(windows[1].ms);
  const [data, setData] = useState<Loaded>();
  const [error, setError] = useState<string>();

  const refresh = useCallback(async () => {
    const to = Date.now();
    const from = to - windowMs;
    const iso = (t: number) => new Date(t).toISOString();
    const step = windowMs / buckets;
    try {
      const [total, routing, ...series] = await Promise.all([
        api.usage(grouping, iso(from), iso(to)),
        api.routingSavings(iso(from), iso(to)),
        ...Array.from({ length: buckets }, (_, i) => api.usage(grouping, iso(from + i * step), iso(from + (i + 1) * step))),
      ]);
      setData({ total: total as UsageReport, routing: routing as RoutingSavings, series: series as UsageReport[], from: iso(from) });
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, [grouping, windowMs]);
  usePolling(refresh, 15_000, 15_000);

  const max = Math.max(1e-9, ...(data?.series.map((s) => s.total.cost_usd) ?? [0]));
  const top = Math.max(1e-9, ...(data?.total.items.map((i) => i.cost_usd) ?? [0]));
  return (
    <section aria-labelledby="costs-title">
      <h1 id="costs-title">Costs</h1>
      <div className="row">
        <label htmlFor="group-by">Group by</label>
        <select id="group-by" value={grouping} onChange={(e) => setGrouping(e.target.value as Grouping)}>
          <option value="model">Model</option>
          <option value="agent">Agent</option>
          <option value="dag">DAG</option>
        </select>
        <label htmlFor="window">Window</label>
        <select id="window" value={windowMs} onChange={(e) => setWindowMs(Number(e.target.value))}>
          {windows.map((w) => <option key={w.ms} value={w.ms}>{w.label}</option>)}
        </select>
      </div>
      {error ? <p role="alert" className="error-text">{error}</p> : null}
      {data ? (
        <>
          <div className="cards" style={{ marginTop: 12 }}>
            <div className="card" data-testid="cost-total"><div className="label">Spent in the window</div><div className="value">{usd(data.total.total.cost_usd)}</div>
              <div className="sub">{int(data.total.total.input_tokens + data.total.total.output_tokens)} tokens, {int(data.total.total.api_calls)} calls</div></div>
            <div className="card" data-testid="routing-savings"><div className="label">Saved by cascade routing</div><div className="value">{usd(data.routing.savings_usd)}</div>
              <div className="sub">{usd(data.routing.actual_cost_usd)} spent vs {usd(data.routing.reference_cost_usd)} on each cascade's last model</div></div>
          </div>
          <h2 id="over-time">Cost over time</h2>
          <div className="chart" role="img" aria-labelledby="over-time" aria-describedby="over-time-text">
            {data.series.map((s, i) => (
              <div key={i} className="col" style={{ height: `${(s.total.cost_usd / max) * 100}%` }} title={`${new Date(s.from).toLocaleString()}: ${usd(s.total.cost_usd)}`} />
            ))}
          </div>
          <p id="over-time-text" className="visually-hidden">
            {data.series.map((s) => `${new Date(s.from).toLocaleString()}: ${usd(s.total.cost_usd)}`).join('; ')}
          </p>
          <h2>By {grouping}</h2>
          <table data-testid="usage-table">
            <thead>
              <tr>
                <th scope="col">{grouping === 'dag' ? 'DAG' : grouping[0].toUpperCase() + grouping.slice(1)}</th>
                <th scope="col" className="num">Cost</th>
                <th scope="col">Share</th>
                <th scope="col">Over time</th>
                <th scope="col" className="num">Input tokens</th>
                <th scope="col" className="num">Output tokens</th>
                <th scope="col" className="num">Calls</th>
                <th scope="col" className="num">Tasks</th>
              </tr>
            </thead>
            <tbody>
              {data.total.items.map((item) => (
                <tr key={item.key ?? '(none)'}>
                  <td>
                    {grouping === 'dag' && item.key ? <Link to={`/dags/${item.key}`}>{item.key.slice(0, 8)}</Link> : item.key ?? <span className="muted">(no DAG)</span>}
                  </td>
                  <td className="num">{usd(item.cost_usd, 6)}</td>
                  <td style={{ width: 160 }}><div className="bar" style={{ width: `${(item.cost_usd / top) * 100}%` }} /></td>
                  <td style={{ width: 140 }}>
                    <Sparkline values={data.series.map((s) => s.items.find((x) => x.key === item.key)?.cost_usd ?? 0)} />
                  </td>
                  <td className="num">{int(item.input_tokens)}</td>
                  <td className="num">{int(item.output_tokens)}</td>
                  <td className="num">{int(item.api_calls)}</td>
                  <td className="num">{int(item.tasks)}</td>
                </tr>
              ))}
              {data.total.items.length === 0 ? <tr><td colSpan={8} className="muted">Nothing spent in this window.</td></tr> : null}
            </tbody>
          </table>
          {data.routing.agents.length ? (
            <>
              <h2>Cascade routing by agent</h2>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Agent</th><th scope="col">Cascade</th><th scope="col" className="num">Spent</th>
                    <th scope="col" className="num">On the last model</th><th scope="col" className="num">Saved</th>
                  </tr>
                </thead>
                <tbody>
                  {data.routing.agents.map((a) => (
                    <tr key={a.agent}>
                      <td>{a.agent}</td><td>{a.cascade.join(' → ')}</td><td className="num">{usd(a.actual_cost_usd, 6)}</td>
                      <td className="num">{usd(a.reference_cost_usd, 6)}</td><td className="num">{usd(a.savings_usd, 6)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          ) : null}
        </>
      ) : <p aria-busy="true">Loading…</p>}
    </section>
  );
}
