import { useMemo, useState, type ChangeEvent } from 'react';
import { api, ApiError } from '../api/client';
import { DagGraph, type GraphTask } from '../components/DagGraph';
import { dependenciesOf, nodeId, parseDag, problemLocations, type DagSpec } from '../lib/dagSpec';
import { navigate } from '../router';
import { useDags } from '../stores/dags';

const example = `name: research-pipeline
tasks:
  - id: research
    instruction: Research the market for LLM agent orchestrators.
  - id: analyze
    instruction: "Analyze these findings: {{tasks.research.output}}"
    depends_on: [research]
  - id: report
    instruction: "Write a one-page report from: {{tasks.analyze.output}}"
    depends_on: [analyze]
`;

/** Paste or upload a DAG (JSON or YAML), see it drawn, submit it; the API's validation errors land on their nodes. */
export function SubmitView() {
  const [text, setText] = useState(example);
  const [submitting, setSubmitting] = useState(false);
  const [rejected, setRejected] = useState<{ byNode: Map<string, string[]>; general: string[]; spec: DagSpec }>();
  const parsed = useMemo(() => parseDag(text), [text]);

  const preview: GraphTask[] = useMemo(() => {
    if (!parsed.ok) return [];
    const deps = dependenciesOf(parsed.spec);
    const errors = rejected && rejected.spec === parsed.spec ? rejected.byNode : undefined;
    return (parsed.spec.tasks ?? []).slice(0, 2000).map((t, i) => {
      const id = nodeId(t, i);
      return { id, label: id, dependsOn: deps.get(id) ?? [], errors: errors?.get(id) };
    });
  }, [parsed, rejected]);

  const upload = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) {
      setText(await file.text());
      setRejected(undefined);
    }
  };

  const submit = async () => {
    if (!parsed.ok) return;
    setSubmitting(true);
    setRejected(undefined);
    try {
      const dag = await api.createDag(parsed.spec);
      useDags.getState().upsert(dag);
      navigate(`/dags/${dag.id}`);
    } catch (e) {
      const problem = e instanceof ApiError ? e.problem : { detail: (e as Error).message };
      setRejected({ ...problemLocations(problem, parsed.spec), spec: parsed.spec });
    } finally {
      setSubmitting(false);
    }
  };

  const nodeErrors = rejected && parsed.ok && rejected.spec === parsed.spec ? [...rejected.byNode] : [];
  return (
    <section aria-labelledby="submit-title">
      <h1 id="submit-title">Submit a DAG</h1>
      <p className="muted">
        JSON or YAML, as <code>POST /api/v1/dags</code> takes it: <code>name</code>, <code>tasks</code> (<code>id</code>,{' '}
        <code>instruction</code>, <code>agent</code>, <code>depends_on</code>), optional <code>dependencies</code>, <code>limits</code>,{' '}
        <code>failure_policy</code>. <code>{'{{tasks.<id>.output}}'}</code> inserts a dependency's output.
      </p>
      <div className="row">
        <label htmlFor="dag-file">Upload a file</label>
        <input id="dag-file" type="file" accept=".json,.yaml,.yml,application/json,text/yaml" onChange={upload} />
      </div>
      <label htmlFor="dag-spec">DAG specification</label>
      <textarea
        id="dag-spec"
        className="spec"
        spellCheck={false}
        value={text}
        onChange={(e) => {
          setText(e.target.value);
          setRejected(undefined);
        }}
        aria-invalid={!parsed.ok || !!rejected}
        aria-describedby="spec-status"
      />
      <div id="spec-status" role="status">
        {parsed.ok ? (
          <p className="muted">{parsed.format.toUpperCase()}, {parsed.spec.tasks?.length ?? 0} tasks.</p>
        ) : (
          <p className="error-text">{parsed.error}</p>
        )}
      </div>
      {rejected ? (
        <div className="problems" role="alert" data-testid="problems">
          <strong>The API rejected the DAG.</strong>
          <ul>
            {rejected.general.map((m) => <li key={m}>{m}</li>)}
            {nodeErrors.map(([node, messages]) => (
              <li key={node}>
                <strong>{node}</strong>: {messages.join('; ')}
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <div className="row" style={{ margin: '12px 0' }}>
        <button type="button" className="primary" disabled={!parsed.ok || submitting} onClick={submit}>
          {submitting ? 'Submitting…' : 'Submit DAG'}
        </button>
      </div>
      {preview.length ? <DagGraph small label="Preview of the DAG" tasks={preview} /> : null}
    </section>
  );
}
