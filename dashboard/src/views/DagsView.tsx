import { StatusBadge } from '../components/StatusBadge';
import { usePolling, useSubscription } from '../live/connection';
import { int, time, usd } from '../lib/format';
import { Link } from '../router';
import { useDags } from '../stores/dags';

/** The newest 100 DAGs (GET /api/v1/dags), statuses kept live by the dags channel. */
export function DagsView() {
  const { order, byId, loadList } = useDags();
  usePolling(loadList, 15_000, 3_000);
  useSubscription('dags');
  return (
    <section aria-labelledby="dags-title">
      <div className="row">
        <h1 id="dags-title" className="grow">DAGs</h1>
        <Link to="/submit">Submit a DAG</Link>
      </div>
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">Tasks</th>
            <th scope="col" className="num">Cost</th>
            <th scope="col">Created</th>
            <th scope="col">Finished</th>
          </tr>
        </thead>
        <tbody>
          {order.map((id) => {
            const d = byId[id];
            return (
              <tr key={id} data-testid="dag-row">
                <td><Link to={`/dags/${id}`}>{d.name}</Link></td>
                <td><StatusBadge status={d.status} /></td>
                <td className="num">{int(d.task_count)}</td>
                <td className="num">{d.usage ? usd(d.usage.cost_usd) : '—'}</td>
                <td>{time(d.created_at)}</td>
                <td>{time(d.finished_at)}</td>
              </tr>
            );
          })}
          {order.length === 0 ? <tr><td colSpan={6} className="muted">No DAGs yet.</td></tr> : null}
        </tbody>
      </table>
    </section>
  );
}
