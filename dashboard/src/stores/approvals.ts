import { create } from 'zustand';
import { api } from '../api/client';
import type { Approval } from '../api/types';
import type { LiveEvent } from '../live/events';

interface ApprovalsState {
  pending: Approval[];
  loaded: boolean;
  load: () => Promise<void>;
  decide: (ids: string[], approve: boolean, reason?: string) => Promise<{ failed: { id: string; message: string }[] }>;
  applyEvents: (events: LiveEvent[]) => void;
}

/** Approvals of the same tool (or run) for the same agent-facing action and risk: what one bulk decision covers. */
export const groupKey = (a: Approval) => `${a.action}\u0000${a.tool}\u0000${a.risk}`;

export const useApprovals = create<ApprovalsState>((set, get) => ({
  pending: [],
  loaded: false,
  load: async () => {
    const page = await api.approvals('pending');
    set({ pending: page.items, loaded: true });
  },
  decide: async (ids, approve, reason) => {
    const results = await Promise.allSettled(ids.map((id) => api.decide(id, approve, reason)));
    const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ id: ids[i], message: String((r.reason as Error).message) }] : []));
    const decided = new Set(ids.filter((id) => !failed.some((f) => f.id === id)));
    set((s) => ({ pending: s.pending.filter((a) => !decided.has(a.id)) }));
    return { failed };
  },
  applyEvents: (events) => {
    let pending = get().pending;
    for (const e of events) {
      if (!e.event_type.startsWith('approval_') || !e.aggregate_id) {
        continue;
      }
      if (e.event_type === 'approval_requested') {
        if (pending.some((a) => a.id === e.aggregate_id)) continue;
        const d = e.data as Partial<Approval>;
        pending = [
          {
            id: e.aggregate_id,
            task_id: String(d.task_id ?? ''),
            dag_id: d.dag_id ?? null,
            action: String(d.action ?? 'run'),
            tool: String(d.tool ?? ''),
            args_hash: String(d.args_hash ?? ''),
            risk: String(d.risk ?? 'medium'),
            summary: String(d.summary ?? ''),
            status: 'pending',
            created_at: e.created_at ?? new Date().toISOString(),
            expires_at: String(d.expires_at ?? ''),
          },
          ...pending,
        ];
      } else {
        pending = pending.filter((a) => a.id !== e.aggregate_id);
      }
    }
    if (pending !== get().pending) {
      set({ pending });
    }
  },
}));
