// Wire shapes of the Apex REST API (snake_case, DESIGN §3). Only the fields the dashboard reads.

export type TaskStatus =
  | 'pending'
  | 'queued'
  | 'running'
  | 'awaiting_approval'
  | 'succeeded'
  | 'failed'
  | 'cancelled'
  | 'skipped';

export type DagStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export const terminalTaskStatuses: readonly TaskStatus[] = ['succeeded', 'failed', 'cancelled', 'skipped'];

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  api_calls: number;
}

export interface Task {
  id: string;
  dag_id?: string | null;
  key?: string | null;
  name: string;
  instruction: string;
  agent: string;
  status: TaskStatus;
  priority: number;
  attempt: number;
  max_attempts: number;
  output?: string | null;
  error?: { code: string; message: string } | null;
  usage: Usage;
  limits: Record<string, number | null>;
  created_at: string;
  started_at?: string | null;
  finished_at?: string | null;
}

export interface DagTaskSummary {
  key: string;
  id: string;
  status: TaskStatus;
  depends_on?: string[] | null;
}

export interface Dag {
  id: string;
  name: string;
  status: DagStatus;
  failure_policy: string;
  task_count: number;
  usage?: Usage | null;
  created_at: string;
  finished_at?: string | null;
  tasks?: DagTaskSummary[] | null;
}

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface TaskEvent {
  seq: number;
  aggregate_type: string;
  aggregate_id: string;
  dag_id?: string | null;
  version: number;
  event_type: string;
  data: Record<string, unknown>;
  created_at: string;
}

export interface Agent {
  id: string;
  name: string;
  provider: string;
  model: string;
  max_concurrency: number;
  cascade: string[];
  stats?: { tasks: Record<string, number>; running: number; input_tokens: number; output_tokens: number; cost_usd: number } | null;
}

export interface Approval {
  id: string;
  task_id: string;
  dag_id?: string | null;
  action: string;
  tool: string;
  args_hash: string;
  risk: string;
  summary: string;
  status: 'pending' | 'approved' | 'rejected' | 'expired' | 'used' | 'cancelled';
  created_at: string;
  expires_at: string;
  decided_at?: string | null;
  decided_by?: string | null;
  reason?: string | null;
}

export interface UsageLine {
  key?: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  api_calls: number;
  tasks: number;
}

export interface UsageReport {
  group_by: string;
  from: string;
  to: string;
  items: UsageLine[];
  total: UsageLine;
}

export interface Health {
  status: string;
  version: string;
  mode: string;
  /** `open`: the server asks no credential (loopback only, docs/security.md). */
  auth?: 'open' | 'required';
  uptime_seconds: number;
  components: {
    database: { status: string; backend: string; latency_ms: number };
    queue: { status: string; backend: string; depth: number; delayed: number };
    workers: { active: number; max: number; live: number; queue_depth: number };
  };
}

export interface Stats {
  window_seconds: number;
  at: string;
  tasks_per_second: number;
  succeeded: number;
  failed: number;
  error_rate: number;
  latency_ms: { p50: number | null; p95: number | null; max: number | null; samples: number };
  cost_per_hour_usd: number;
  series: { at: string; succeeded: number; failed: number; cost_usd: number }[];
}

export interface RoutingSavings {
  from: string;
  to: string;
  actual_cost_usd: number;
  reference_cost_usd: number;
  savings_usd: number;
  agents: {
    agent: string;
    cascade: string[];
    reference_model: string;
    input_tokens: number;
    output_tokens: number;
    actual_cost_usd: number;
    reference_cost_usd: number;
    savings_usd: number;
  }[];
}

/** RFC 9457 problem+json as Apex writes it: a stable code, and for validation the fields and DAG node ids at fault. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: Record<string, string[]>;
  nodes?: string[];
}
