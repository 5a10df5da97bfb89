import { fireEvent, render, screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Approval } from '../api/types';
import { useApprovals } from '../stores/approvals';
import { ApprovalsView } from './ApprovalsView';

const approval = (id: string, tool: string, over: Partial<Approval> = {}): Approval => ({
  id, task_id: `task-${id}`, action: 'tool_call', tool, args_hash: 'f'.repeat(64), risk: 'high', summary: `${tool} call ${id}`,
  status: 'pending', created_at: '2026-11-27T00:00:00Z', expires_at: new Date(Date.now() + 30 * 60_000).toISOString(), ...over,
});

describe('ApprovalsView', () => {
  beforeEach(() => {
    // load() is replaced so the view shows exactly this state (no server in unit tests).
    useApprovals.setState({
      pending: [approval('1', 'http_fetch'), approval('2', 'http_fetch'), approval('3', 'send_email', { risk: 'medium' })],
      loaded: true,
      load: async () => undefined,
    });
  });

  it('groups similar approvals (action, tool, risk) and shows action, arguments, risk and expiry', () => {
    render(<ApprovalsView />);

    const fetches = screen.getByRole('group', { name: /Tool http_fetch · high risk/ });
    const emails = screen.getByRole('group', { name: /Tool send_email · medium risk/ });
    expect(within(fetches).getAllByTestId('approval-row')).toHaveLength(2);
    expect(within(emails).getAllByTestId('approval-row')).toHaveLength(1);
    const row = within(fetches).getAllByTestId('approval-row')[0];
    expect(row.textContent).toContain('tool_call http_fetch');
    expect(row.textContent).toContain('http_fetch call 1');
    expect(row.textContent).toContain('ffffffffffffffff…');
    expect(row.textContent).toContain('high');
    expect(row.textContent).toMatch(/in (29|30) min/);
  });

  it('selects a whole group for one bulk decision', () => {
    render(<ApprovalsView />);
    const fetches = screen.getByRole('group', { name: /Tool http_fetch/ });
    const approve = within(fetches).getByRole('button', { name: /^Approve\s+selected$/ });
    expect(approve).toHaveProperty('disabled', true);

    fireEvent.click(within(fetches).getByRole('button', { name: 'Select all 2' }));

    expect(within(fetches).getByRole('button', { name: 'Approve 2 selected' })).toHaveProperty('disabled', false);
    expect(within(fetches).getAllByRole('checkbox').every((c) => (c as HTMLInputElement).checked)).toBe(true);
    const emails = screen.getByRole('group', { name: /Tool send_email/ });
    expect((within(emails).getByRole('checkbox') as HTMLInputElement).checked).toBe(false);
  });
});
