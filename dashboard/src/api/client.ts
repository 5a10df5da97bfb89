import type {
  Agent,
  Approval,
  Dag,
  Health,
  Page,
  Problem,
  RoutingSavings,
  Stats,
  Task,
  TaskEvent,
  UsageReport,
} from './types';
import { authHeaders } from './credential';

/** A non-2xx answer; `problem` is the parsed problem+json body when there was one. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    method,
    signal,
    headers: {
      Accept: 'application/json',
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...authHeaders(),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { detail: text };
    }
  }
  if (!response.ok) {
    throw new ApiError(response.status, (parsed as Problem) ?? { status: response.status });
  }
  return parsed as T;
}

const q = (params: Record<string, string | number | undefined | null>) => {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '');
  return entries.length ? '?' + new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString() : '';
};

export const api = {
  health: (signal?: AbortSignal) => request<Health>('GET', '/health', undefined, signal),
  stats: (signal?: AbortSignal) => request<Stats>('GET', '/api/v1/stats', undefined, signal),
  routingSavings: (from?: string, to?: string) => request<RoutingSavings>('GET', `/api/v1/stats/routing${q({ from, to })}`),
  tasks: (params: { status?: string; dag_id?: string; agent?: string; limit?: number; cursor?: string } = {}) =>
    request<Page<Task>>('GET', `/api/v1/tasks${q(params)}`),
  task: (id: string) => request<Task>('GET', `/api/v1/tasks/${id}`),
  taskEvents: (id: string, cursor?: string) => request<Page<TaskEvent>>('GET', `/api/v1/tasks/${id}/events${q({ limit: 500, cursor })}`),
  cancelTask: (id: string) => request<Task>('POST', `/api/v1/tasks/${id}/cancel`),
  retryTask: (id: string) => request<Task>('POST', `/api/v1/tasks/${id}/retry`),
  dags: (params: { status?: string; limit?: number; cursor?: string } = {}) => request<Page<Dag>>('GET', `/api/v1/dags${q(params)}`),
  dag: (id: string) => request<Dag>('GET', `/api/v1/dags/${id}`),
  createDag: (spec: unknown) => request<Dag>('POST', '/api/v1/dags', spec),
  cancelDag: (id: string) => request<Dag>('POST', `/api/v1/dags/${id}/cancel`),
  agents: () => request<Page<Agent>>('GET', '/api/v1/agents?include_stats=true'),
  approvals: (status = 'pending') => request<Page<Approval>>('GET', `/api/v1/approvals${q({ status, limit: 500 })}`),
  decide: (id: string, approve: boolean, reason?: string) =>
    request<Approval>('POST', `/api/v1/approvals/${id}/${approve ? 'approve' : 'reject'}`, { reason, decided_by: 'dashboard' }),
  usage: (groupBy: 'model' | 'agent' | 'dag', from?: string, to?: string) =>
    request<UsageReport>('GET', `/api/v1/usage${q({ group_by: groupBy, from, to })}`),
};
