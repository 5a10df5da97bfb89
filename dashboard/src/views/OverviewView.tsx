import { useCallback, useState } from 'react';
import { api } from '../api/client';
import type { Health, Stats } from '../api/types';
import { Sparkline } from '../components/Sparkline';
import { StatusBadge } from '../components/StatusBadge';
import { usePolling, useSubscription } from '../live/connection';
import { int, ms, pct, time, usd } from '../lib/format';
import { Link } from '../router';
import { useDags } from '../stores/dags';

function Card({ label, value, sub, testId, series }: { label: string; value: string; sub?: string; testId: string; series?: number[] }) {
  return (
    <div className="card" data-testid={testId}>
      <div className="label">{label}</div>
      <div className="value">{value}</div>
      {sub ? <div className="sub">{sub}</div> : null}
      {series ? <Sparkline values={series} /> : null}
    </div>
  );
}

/** Live service figures: /api/v1/stats (rates over the last minute) and /health (queue and workers), every 2 s. */
export function OverviewView() {
  const [health, setHealth] = useState<Health>();
  const [stats, setStats] = useState<Stats>();
  const [error, setError] = useState<string>();
  const dags = useDags();

  const refresh = useCallback(async () => {
    try {
      const [h, s] = await Promise.all([api.health().catch(() => undefined), api.stats()]);
      setHealth(h);
      setStats(s);
      setError(undefined);
    } catch (e) {
      setError((e as Error).message);
    }
  }, []);
  usePolling(refresh, 2000);
  usePolling(dags.loadList, 10_000, 5_000);
  useSubscription('dags');

  const workers = health?.components.workers;
  const finished = stats?.series.map((p) => p.succeeded + p.failed);
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      {error ? <p role="alert" className="error-text">Could not load the figures: {error}</p> : null}
      <div className="cards">
        <Card testId="tasks-per-second" label="Tasks finished / s (1 min)" value={stats ? stats.tasks_per_second.toFixed(2) : '—'}
          sub={stats ? `${int(stats.succeeded)} succeeded, ${int(stats.failed)} failed` : undefined} series={finished} />
        <Card testId="latency" label="Latency, submit → done (p50 / p95)" value={stats ? `${ms(stats.latency_ms.p50)} / ${ms(stats.latency_ms.p95)}` : '—'}
          sub={stats ? `${int(stats.latency_ms.samples)} tasks` : undefined} />
        <Card testId="queue-depth" label="Queue depth" value={health ? int(health.components.queue.depth) : '—'}
          sub={health ? `${int(health.components.queue.delayed)} delayed (retries)` : undefined} />
        <Card testId="workers" label="Workers busy / free" value={workers ? `${int(workers.active)} / ${int(Math.max(0, workers.max - workers.active))}` : '—'}
          sub={workers ? `${workers.live} live worker process${workers.live === 1 ? '' : 'es'}` : undefined} />
        <Card testId="error-rate" label="Error rate (1 min)" value={stats ? pct(stats.error_rate) : '—'} series={stats?.series.map((p) => p.failed)} />
        <Card testId="cost-per-hour" label="Cost per hour (1 min rate)" value={stats ? usd(stats.cost_per_hour_usd) : '—'} series={stats?.series.map((p) => p.cost_usd)} />
      </div>
      <p className="muted">
        {health ? (
          <>
            Service <span className={`badge status-${health.status === 'healthy' ? 'succeeded' : 'failed'}`}>{health.status}</span>, {health.mode} mode,
            store {health.components.database.backend}, version {health.version}.
          </>
        ) : null}
      </p>
      <h2>Recent DAGs</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Tasks</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {dags.order.slice(0, 8).map((id) => {
            const d = dags.byId[id];
            return (
              <tr key={id}>
                <td><Link to={`/dags/${id}`}>{d.name}</Link></td>
                <td><StatusBadge status={d.status} /></td>
                <td className="num">{int(d.task_count)}</td>
                <td>{time(d.created_at)}</td>
              </tr>
            );
          })}
          {dags.order.length === 0 ? (
            <tr><td colSpan={4} className="muted">No DAGs yet. <Link to="/submit">Submit one</Link>.</td></tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
