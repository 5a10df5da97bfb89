import { useEffect, useRef } from 'react';
import { AuthBanner } from './components/AuthBanner';
import { useConnection, usePolling, useSubscription } from './live/connection';
import { Link, match, useRoute } from './router';
import { useTheme } from './stores/theme';
import { AgentsView } from './views/AgentsView';
import { ApprovalsView } from './views/ApprovalsView';
import { CostsView } from './views/CostsView';
import { DagView } from './views/DagView';
import { DagsView } from './views/DagsView';
import { OverviewView } from './views/OverviewView';
import { SubmitView } from './views/SubmitView';
import { TaskView } from './views/TaskView';
import { useApprovals } from './stores/approvals';

const sections = [
  { to: '/', label: 'Overview' },
  { to: '/agents', label: 'Agents' },
  { to: '/dags', label: 'DAGs' },
  { to: '/approvals', label: 'Approvals' },
  { to: '/costs', label: 'Costs' },
  { to: '/submit', label: 'Submit' },
];

function Page({ path }: { path: string }) {
  let params: Record<string, string> | undefined;
  if ((params = match('/dags/:id', path))) return <DagView id={params.id} />;
  if ((params = match('/tasks/:id', path))) return <TaskView id={params.id} />;
  switch (path) {
    case '/':
      return <OverviewView />;
    case '/agents':
      return <AgentsView />;
    case '/dags':
      return <DagsView />;
    case '/approvals':
      return <ApprovalsView />;
    case '/costs':
      return <CostsView />;
    case '/submit':
      return <SubmitView />;
    default:
      return (
        <section aria-labelledby="nf">
          <h1 id="nf">Not found</h1>
          <p>
            No page at <code>{path}</code>. <Link to="/">Back to the overview</Link>.
          </p>
        </section>
      );
  }
}

const connectionText = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  fallback: 'Live (SSE + polling)',
};

export function App() {
  const path = useRoute((s) => s.path);
  const { theme, toggle } = useTheme();
  const connection = useConnection((s) => s.state);
  const pending = useApprovals((s) => s.pending.length);
  const loadApprovals = useApprovals((s) => s.load);
  // The pending count in the navigation stays current on every page.
  usePolling(loadApprovals, 60_000, 15_000);
  useSubscription('approvals');
  const main = useRef<HTMLElement>(null);
  const firstPath = useRef(path);

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);

  useEffect(() => {
    // After a client-side navigation, focus moves to the new page for keyboard and screen reader users (a full page
    // load would reset it); the first page keeps the browser's own start, so Tab reaches the skip link first.
    if (path !== firstPath.current) {
      firstPath.current = '';
      main.current?.focus({ preventScroll: true });
    }
  }, [path]);

  const current = (to: string) => (to === '/' ? path === '/' : path === to || path.startsWith(to + '/'));

  return (
    <div className="shell">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand" aria-hidden="true">
          ◆ Apex
        </span>
        <nav aria-label="Sections">
          <ul>
            {sections.map((s) => (
              <li key={s.to}>
                <Link to={s.to} aria-current={current(s.to) ? 'page' : undefined}>
                  {s.label}
                  {s.to === '/approvals' && pending > 0 ? <span className="count" aria-label={`${pending} pending`}>{pending}</span> : null}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className={`conn conn-${connection}`} role="status" aria-live="polite" data-testid="connection">
          {connectionText[connection]}
        </span>
        <button type="button" className="ghost" onClick={toggle} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? '☀ Light' : '☾ Dark'}
        </button>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <AuthBanner />
        <Page path={path} />
      </main>
    </div>
  );
}
