import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../api/client';
import { getApiKey, setApiKey } from '../api/credential';
import { AuthBanner } from './AuthBanner';

const answer = (status: number, body: unknown) =>
  vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));

describe('AuthBanner', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    setApiKey(null);
  });

  it('says when the server runs open', async () => {
    answer(200, { status: 'healthy', auth: 'open' });
    render(<AuthBanner />);
    expect((await screen.findByTestId('auth-open')).textContent).toContain('Open mode');
  });

  it('shows nothing when the server requires a key and accepts ours', async () => {
    const fetch = answer(200, { status: 'healthy', auth: 'required' });
    render(<AuthBanner />);
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    expect(screen.queryByTestId('auth-open')).toBeNull();
    expect(screen.queryByTestId('auth-key')).toBeNull();
  });

  it('asks for a key on 401, then sends it on every request', async () => {
    answer(401, { status: 401, code: 'unauthenticated' });
    const reload = vi.fn();
    render(<AuthBanner reload={reload} />);
    fireEvent.change(await screen.findByLabelText('This server requires an API key'), { target: { value: 'apex_abc_def' } });
    fireEvent.click(screen.getByText('Use key'));
    expect(getApiKey()).toBe('apex_abc_def');
    expect(reload).toHaveBeenCalled();

    const fetch = answer(200, { status: 'healthy', auth: 'required' });
    await api.health();
    const headers = fetch.mock.calls.at(-1)?.[1]?.headers as Record<string, string>;
    expect(headers.Authorization).toBe('Bearer apex_abc_def');
  });
});
