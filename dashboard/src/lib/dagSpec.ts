import { load as loadYaml } from 'js-yaml';
import type { Problem } from '../api/types';

export interface DagSpecTask {
  id?: string;
  name?: string;
  instruction?: string;
  agent?: string;
  depends_on?: string[];
  [key: string]: unknown;
}

export interface DagSpec {
  name?: string;
  tasks?: DagSpecTask[];
  dependencies?: { from: string; to: string }[];
  [key: string]: unknown;
}

export type Parsed = { ok: true; spec: DagSpec; format: 'json' | 'yaml' } | { ok: false; error: string };

/** JSON when it looks like JSON, else YAML (the CLI's examples/*.yaml are YAML). */
export function parseDag(text: string): Parsed {
  const trimmed = text.trim();
  if (!trimmed) {
    return { ok: false, error: 'Paste or upload a DAG first.' };
  }
  const json = trimmed.startsWith('{') || trimmed.startsWith('[');
  let value: unknown;
  try {
    value = json ? JSON.parse(trimmed) : loadYaml(trimmed);
  } catch (e) {
    return { ok: false, error: `${json ? 'JSON' : 'YAML'}: ${(e as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, error: 'A DAG is an object with a "tasks" list.' };
  }
  return { ok: true, spec: value as DagSpec, format: json ? 'json' : 'yaml' };
}

/** Each task's dependencies: its own depends_on plus the spec's dependencies edges. */
export function dependenciesOf(spec: DagSpec): Map<string, string[]> {
  const result = new Map<string, string[]>();
  (spec.tasks ?? []).forEach((t, i) => {
    const id = nodeId(t, i);
    result.set(id, [...(result.get(id) ?? []), ...(Array.isArray(t.depends_on) ? t.depends_on.map(String) : [])]);
  });
  for (const edge of spec.dependencies ?? []) {
    if (edge && typeof edge.to === 'string') {
      result.set(edge.to, [...(result.get(edge.to) ?? []), String(edge.from)]);
    }
  }
  return result;
}

export const nodeId = (t: DagSpecTask, index: number) => (typeof t?.id === 'string' && t.id ? t.id : `#${index + 1}`);

/**
 * Where a problem+json answer points: messages per node id (from `nodes`, and from `errors` keys such as
 * `tasks[2].instruction` or `tasks.research.depends_on`), and the messages that name no node.
 */
export function problemLocations(problem: Problem, spec: DagSpec | undefined): { byNode: Map<string, string[]>; general: string[] } {
  const byNode = new Map<string, string[]>();
  const general: string[] = [];
  const tasks = spec?.tasks ?? [];
  const ids = new Set(tasks.map(nodeId));
  const add = (node: string, message: string) => byNode.set(node, [...(byNode.get(node) ?? []), message]);
  const headline = problem.detail ?? problem.title ?? problem.code ?? 'The DAG was rejected.';
  for (const [field, messages] of Object.entries(problem.errors ?? {})) {
    const indexed = /^tasks\[(\d+)\]/i.exec(field);
    const named = /^tasks\.([^.[\]]+)/i.exec(field);
    const node = indexed && tasks[Number(indexed[1])] ? nodeId(tasks[Number(indexed[1])], Number(indexed[1])) : named && ids.has(named[1]) ? named[1] : undefined;
    for (const m of messages) {
      if (node) add(node, `${field}: ${m}`);
      else general.push(`${field}: ${m}`);
    }
  }
  for (const node of problem.nodes ?? []) {
    // A node may come with detail, "task → missing dependency": the task is the first part.
    const first = node.split(/\s*→\s*/)[0];
    const known = ids.has(node) ? node : ids.has(first) ? first : undefined;
    if (known) add(known, headline);
    else general.push(`${node}: ${headline}`);
  }
  if (byNode.size === 0 && general.length === 0) {
    general.push(headline);
  }
  return { byNode, general };
}
