import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client';
import { getApiKey, setApiKey } from '../api/credential';

type AuthStatus = 'unknown' | 'open' | 'ok' | 'needs-key';

/**
 * Says when the server runs open (no authentication, loopback only), and asks for an API key when the server requires
 * one and the dashboard has none or a bad one (docs/security.md).
 */
export function AuthBanner({ reload = () => window.location.reload() }: { reload?: () => void }) {
  const [status, setStatus] = useState<AuthStatus>('unknown');
  const [key, setKey] = useState('');

  useEffect(() => {
    const abort = new AbortController();
    api
      .health(abort.signal)
      .then((health) => setStatus(health.auth === 'open' ? 'open' : 'ok'))
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setStatus('needs-key');
        else if (e instanceof ApiError) setStatus('ok');
      });
    return () => abort.abort();
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!key.trim()) return;
    setApiKey(key);
    reload();
  };

  if (status === 'open') {
    return (
      <p className="banner banner-warn" role="status" data-testid="auth-open">
        Open mode: this server asks no credential and treats every caller as an admin. It only runs this way on loopback;
        create a key (<code>apex keys create --name me --role admin</code>) to require one.
      </p>
    );
  }
  if (status === 'needs-key') {
    return (
      <form className="banner banner-warn" onSubmit={submit} data-testid="auth-key">
        <label htmlFor="api-key">{getApiKey() ? 'The API key was refused; enter another' : 'This server requires an API key'}</label>{' '}
        <input id="api-key" type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="apex_…" />{' '}
        <button type="submit">Use key</button>
      </form>
    );
  }
  return null;
}
