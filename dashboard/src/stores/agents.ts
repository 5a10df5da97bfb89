import { create } from 'zustand';
import { api } from '../api/client';
import type { Agent } from '../api/types';
import { isTaskEvent, type LiveEvent } from '../live/events';

export type AgentStatus = 'idle' | 'busy' | 'error';

/** What an agent is doing, derived from the task events heard since the page loaded (plus its stats at load). */
export interface AgentActivity {
  running: number;
  currentTask?: string;
  tokens: number;
  costUsd: number;
  succeeded: number;
  failed: number;
  status: AgentStatus;
  /** performance.now() of the last change, for the "updated" highlight. */
  changedAt: number;
}

interface AgentsState {
  definitions: Agent[];
  activity: Record<string, AgentActivity>;
  load: () => Promise<void>;
  applyEvents: (events: LiveEvent[]) => void;
  reset: () => void;
}

const idle = (): AgentActivity => ({ running: 0, tokens: 0, costUsd: 0, succeeded: 0, failed: 0, status: 'idle', changedAt: 0 });

// Outside React state: which agent runs which task (task_created names the agent; later events do not).
const agentOfTask = new Map<string, string>();
const runningTasks = new Map<string, Set<string>>();
const maxRemembered = 200_000;

function usageOf(data: Record<string, unknown>): { tokens: number; cost: number } {
  const u = data.usage as { input_tokens?: number; output_tokens?: number; cost_usd?: number } | undefined;
  return u ? { tokens: (u.input_tokens ?? 0) + (u.output_tokens ?? 0), cost: u.cost_usd ?? 0 } : { tokens: 0, cost: 0 };
}

function statusOf(a: AgentActivity, lastFailed: boolean): AgentStatus {
  return a.running > 0 ? 'busy' : lastFailed ? 'error' : 'idle';
}

/** Applies a batch to a copy of `activity`; returns the same object when nothing changed. */
export function applyAgentEvents(activity: Record<string, AgentActivity>, events: LiveEvent[], now: number): Record<string, AgentActivity> {
  let next: Record<string, AgentActivity> | undefined;
  for (const e of events) {
    if (!isTaskEvent(e) || !e.aggregate_id) {
      continue;
    }
    const taskId = e.aggregate_id;
    if (e.event_type === 'task_created' && typeof e.data.agent === 'string') {
      if (agentOfTask.size >= maxRemembered) agentOfTask.clear();
      agentOfTask.set(taskId, e.data.agent);
    }
    const agent = e.agent ?? agentOfTask.get(taskId);
    if (!agent) {
      continue;
    }
    next ??= { ...activity };
    const a = { ...(next[agent] ?? idle()), changedAt: now };
    let running = runningTasks.get(agent);
    if (!running) {
      running = new Set();
      runningTasks.set(agent, running);
    }
    const { tokens, cost } = usageOf(e.data);
    a.tokens += tokens;
    a.costUsd += cost;
    let failed = a.status === 'error';
    switch (e.event_type) {
      case 'task_started':
        running.add(taskId);
        a.currentTask = taskId;
        failed = false;
        break;
      case 'task_succeeded':
        a.succeeded++;
        running.delete(taskId);
        failed = false;
        break;
      case 'task_failed':
        a.failed++;
        running.delete(taskId);
        failed = true;
        break;
      case 'task_cancelled':
      case 'task_skipped':
      case 'task_retry_scheduled':
      case 'task_requeued':
      case 'task_awaiting_approval':
        running.delete(taskId);
        break;
    }
    if (a.currentTask && !running.has(a.currentTask)) {
      a.currentTask = running.values().next().value;
    }
    a.running = running.size;
    a.status = statusOf(a, failed);
    next[agent] = a;
  }
  return next ?? activity;
}

export const useAgents = create<AgentsState>((set, get) => ({
  definitions: [],
  activity: {},
  load: async () => {
    const page = await api.agents();
    set((s) => {
      const activity = { ...s.activity };
      for (const agent of page.items) {
        if (!activity[agent.name] && agent.stats) {
          activity[agent.name] = {
            ...idle(),
            running: agent.stats.running,
            tokens: agent.stats.input_tokens + agent.stats.output_tokens,
            costUsd: agent.stats.cost_usd,
            succeeded: agent.stats.tasks['succeeded'] ?? 0,
            failed: agent.stats.tasks['failed'] ?? 0,
            status: agent.stats.running > 0 ? 'busy' : 'idle',
          };
        }
      }
      return { definitions: page.items, activity };
    });
  },
  applyEvents: (events) => {
    const current = get().activity;
    const next = applyAgentEvents(current, events, performance.now());
    if (next !== current) {
      set({ activity: next });
    }
  },
  reset: () => {
    agentOfTask.clear();
    runningTasks.clear();
    set({ definitions: [], activity: {} });
  },
}));
