/**
 * The API key the dashboard sends when the server requires one (docs/security.md). Kept in sessionStorage: it lives as
 * long as the tab and is never put in a URL the dashboard navigates to.
 */
const storageKey = 'apex.apiKey';

export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null) {
  if (key) sessionStorage.setItem(storageKey, key.trim());
  else sessionStorage.removeItem(storageKey);
}

/** `Authorization` for fetch, when a key is set. */
export function authHeaders(): Record<string, string> {
  const key = getApiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** WebSocket subprotocols carrying the key (the server selects `apex` and never echoes the key). */
export function socketProtocols(): string[] | undefined {
  const key = getApiKey();
  return key ? ['apex', `apex.bearer.${key}`] : undefined;
}

/** `EventSource` cannot send headers: the key goes in `access_token`, which the stream endpoints accept. */
export function withAccessToken(url: string): string {
  const key = getApiKey();
  if (!key) return url;
  return `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(key)}`;
}
