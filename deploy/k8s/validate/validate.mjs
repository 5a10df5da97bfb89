// Checks everything under deploy/ that no Docker engine or cluster is needed for (run through .ci/check-k8s.sh):
//
//  1. Kubernetes: every kustomization (base and overlays) is rendered (by `kubectl kustomize` when the script found
//     kubectl, else by the small renderer below: resources, namespace, images) and each object is validated against
//     the JSON schemas generated from the Kubernetes OpenAPI document (kubernetes-models), KEDA's CRDs
//     (@kubernetes-models/keda) and the VPA's CRDs (@kubernetes-models/autoscaler): types, required fields, enums,
//     formats, plus unknown fields (strict, like kubeconform -strict). Then cross-references: every name a workload,
//     autoscaler, budget or Service points at exists in the same render, and Apex's own rules (probes, non-root...).
//  2. deploy/docker-compose.yml: structure, references and the files it mounts or builds.
//  3. deploy/Dockerfile.*: a structural lint (stages, non-root USER, HEALTHCHECK, ports, COPY sources, projects).
//  4. Self-test: deliberately broken copies of real manifests must be rejected, so a validator that accepts
//     everything fails here.
//
// Usage: node validate.mjs <repo-root> [--rendered <kustomization-dir>=<file> ...]
// Prints one line per check and a final "N passed, N failed"; exits 1 on any failure.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import YAML from "yaml";

const require = createRequire(import.meta.url);
const root = path.resolve(process.argv[2] ?? "../../..");
const rendered = new Map();
for (let i = 3; i < process.argv.length; i++) {
  if (process.argv[i] === "--rendered") {
    const [dir, file] = process.argv[++i].split("=");
    rendered.set(path.resolve(dir), file);
  }
}

let passed = 0;
let failed = 0;
const rel = (p) => path.relative(root, p) || ".";
function check(name, problems) {
  if (problems.length === 0) {
    passed++;
    console.log(`ok   ${name}`);
  } else {
    failed++;
    console.log(`FAIL ${name}`);
    for (const p of problems) console.log(`       ${p}`);
  }
}
function skip(name, reason) {
  console.log(`skip ${name}: ${reason}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Schemas

const coreGroups = new Set(["apps", "autoscaling", "batch", "policy", "networking.k8s.io", "rbac.authorization.k8s.io",
  "storage.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "discovery.k8s.io", "node.k8s.io"]);
const pascal = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** The generated validate function of an apiVersion/kind, or null when no schema is known (that is a failure). */
function schemaFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  let pkg;
  let name;
  if (group === "") [pkg, name] = ["kubernetes-models", `IoK8sApiCore${pascal(version)}${kind}`];
  else if (coreGroups.has(group)) [pkg, name] = ["kubernetes-models", `IoK8sApi${pascal(group.split(".")[0])}${pascal(version)}${kind}`];
  else if (group === "keda.sh") [pkg, name] = ["@kubernetes-models/keda", `KedaSh${pascal(version)}${kind}`];
  else if (group === "autoscaling.k8s.io") [pkg, name] = ["@kubernetes-models/autoscaler", `AutoscalingK8sIo${pascal(version)}${kind}`];
  else return null;
  // The packages do not export their _schemas folder: load the generated file by its path.
  const module = path.join(path.dirname(require.resolve(pkg)), "_schemas", `${name}.js`);
  if (!existsSync(module)) return null;
  try {
    return require(module).validate;
  } catch {
    return null;
  }
}

/**
 * Runs a generated validator on a proxy that records every property name the validator looks up and every object
 * whose keys it enumerates. Afterwards, a key that exists in the manifest at a place where the validator looked up
 * names but never that one is a field the schema does not define. Objects whose keys the validator enumerates are
 * maps (labels, ConfigMap data, resource quantities); objects it looked nothing up in are free-form in the schema.
 */
function validateStrict(fn, data) {
  const probed = new Map(); // path -> Set of names looked up
  const enumerated = new Set(); // paths whose keys were listed
  const wrap = (value, at) => {
    if (value === null || typeof value !== "object") return value;
    if (!probed.has(at)) probed.set(at, new Set());
    return new Proxy(value, {
      get(target, key, receiver) {
        if (typeof key === "string" && !Array.isArray(target)) probed.get(at).add(key);
        const v = Reflect.get(target, key, receiver);
        return typeof key === "string" && Object.hasOwn(target, key) ? wrap(v, `${at}/${key}`) : v;
      },
      ownKeys(target) {
        enumerated.add(at);
        return Reflect.ownKeys(target);
      },
      has(target, key) {
        if (typeof key === "string") probed.get(at).add(key);
        return Reflect.has(target, key);
      },
    });
  };
  const ok = fn(wrap(data, ""));
  const errors = ok ? [] : (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.keyword}: ${describe(e)}`);
  const walk = (value, at) => {
    if (value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => walk(v, `${at}/${i}`));
      return;
    }
    const names = probed.get(at);
    if (names && names.size > 0 && !enumerated.has(at)) {
      for (const key of Object.keys(value)) {
        if (!names.has(key)) errors.push(`${at || "/"} unknown field "${key}"`);
      }
    }
    for (const [k, v] of Object.entries(value)) walk(v, `${at}/${k}`);
  };
  walk(data, "");
  return [...new Set(errors)];
}

function describe(e) {
  switch (e.keyword) {
    case "type": return `must be ${e.params.type}`;
    case "required": return `missing required field "${e.params.missingProperty}"`;
    case "enum": return `must be one of ${JSON.stringify(e.params.allowedValues)}`;
    case "format": return `must match format ${e.params.format}`;
    default: return JSON.stringify(e.params);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Kustomize

const clusterScoped = new Set(["Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
  "StorageClass", "PriorityClass", "IngressClass", "ClusterTriggerAuthentication", "PersistentVolume"]);

function readDocs(file) {
  return YAML.parseAllDocuments(readFileSync(file, "utf8"), { merge: true }).map((d, i) => {
    if (d.errors.length) throw new Error(`${rel(file)} document ${i + 1}: ${d.errors[0].message}`);
    return d.toJS();
  }).filter((d) => d !== null);
}

/** Resources, namespace and images of a kustomization, recursively: what kubectl kustomize does for this layout. */
function renderLocally(dir) {
  const k = YAML.parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8"));
  let docs = [];
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (existsSync(path.join(p, "kustomization.yaml"))) docs.push(...renderLocally(p));
    else docs.push(...readDocs(p));
  }
  if (k.namespace) {
    for (const d of docs) if (!clusterScoped.has(d.kind)) d.metadata = { ...d.metadata, namespace: k.namespace };
  }
  for (const img of k.images ?? []) {
    for (const d of docs) {
      for (const c of podSpec(d)?.containers ?? []) {
        if (c.image === img.name) c.image = `${img.newName ?? img.name}${img.newTag ? `:${img.newTag}` : ""}`;
      }
    }
  }
  return docs;
}

function podSpec(d) {
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(d.kind)) return d.spec?.template?.spec;
  if (d.kind === "CronJob") return d.spec?.jobTemplate?.spec?.template?.spec;
  if (d.kind === "Pod") return d.spec;
  return undefined;
}

function kustomizationChecks(dir) {
  const problems = [];
  const k = YAML.parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8"));
  const listed = new Set();
  for (const r of k.resources ?? []) {
    const p = path.join(dir, r);
    if (!existsSync(p)) problems.push(`resource ${r} does not exist`);
    else if (statSync(p).isDirectory() && !existsSync(path.join(p, "kustomization.yaml"))) problems.push(`resource ${r} is a directory without kustomization.yaml`);
    listed.add(path.resolve(p));
  }
  for (const f of readdirSync(dir)) {
    const p = path.resolve(dir, f);
    if (/\.ya?ml$/.test(f) && f !== "kustomization.yaml" && !listed.has(p)) problems.push(`${f} is not listed in resources`);
  }
  return problems;
}

function kubernetesChecks() {
  const k8s = path.join(root, "deploy/k8s");
  const dirs = [path.join(k8s, "base"), ...readdirSync(path.join(k8s, "overlays")).map((o) => path.join(k8s, "overlays", o))]
    .filter((d) => existsSync(path.join(d, "kustomization.yaml")));
  for (const dir of dirs) {
    check(`${rel(dir)}/kustomization.yaml lists exactly its files`, kustomizationChecks(dir));
    let docs;
    let how;
    try {
      const file = rendered.get(path.resolve(dir));
      docs = file ? readDocs(file) : renderLocally(dir);
      how = file ? "kubectl kustomize" : "local render";
    } catch (e) {
      check(`${rel(dir)} renders`, [String(e.message ?? e)]);
      continue;
    }
    check(`${rel(dir)} renders (${how}): ${docs.length} objects`, docs.length ? [] : ["no objects"]);
    if (how === "kubectl kustomize") {
      // The fallback renderer (used where kubectl is missing) must produce the same objects, namespaces and images.
      const sig = (ds) => ds.map((d) => `${d.kind}/${d.metadata?.namespace ?? ""}/${d.metadata?.name} ${(podSpec(d)?.containers ?? []).map((c) => c.image).join(",")}`).sort();
      const [a, b] = [sig(docs), sig(renderLocally(dir))];
      check(`${rel(dir)} local render agrees with kubectl kustomize`,
        JSON.stringify(a) === JSON.stringify(b) ? [] : [`kubectl: ${a.filter((x) => !b.includes(x)).join("; ")}`, `local: ${b.filter((x) => !a.includes(x)).join("; ")}`]);
    }
    // Overlays repeat the base's objects: validate each object once, in the first render that has it, but run the
    // cross-reference checks on every render (an overlay can break a reference).
    for (const d of docs) {
      const id = `${d.kind}/${d.metadata?.name}`;
      const key = `${id}@${JSON.stringify(d)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const fn = d.apiVersion && d.kind ? schemaFor(d.apiVersion, d.kind) : null;
      check(`${rel(dir)} ${d.apiVersion} ${id} matches its schema`,
        fn ? validateStrict(fn, d) : [`no schema for apiVersion ${d.apiVersion}, kind ${d.kind}`]);
    }
    check(`${rel(dir)} references resolve`, references(docs, !dir.endsWith("base")));
    if (!dir.endsWith("base")) continue;
    check(`${rel(dir)} Apex workloads follow the deployment rules`, apexRules(docs));
  }
}
const seen = new Set();

/** Names that point at other objects must exist in the same render. Secrets and Services from overlays count. */
function references(docs, complete) {
  const problems = [];
  const byKind = (kind) => docs.filter((d) => d.kind === kind);
  const has = (kind, name) => docs.some((d) => d.kind === kind && d.metadata?.name === name);
  const namespaces = new Set(docs.filter((d) => d.kind === "Namespace").map((d) => d.metadata.name));
  for (const d of docs) {
    if (!clusterScoped.has(d.kind) && !namespaces.has(d.metadata?.namespace)) {
      problems.push(`${d.kind}/${d.metadata?.name} is in namespace ${d.metadata?.namespace ?? "(none)"}, not one the render creates`);
    }
  }
  const workloads = docs.filter((d) => podSpec(d));
  for (const w of workloads) {
    const spec = podSpec(w);
    const labels = w.spec?.template?.metadata?.labels ?? {};
    const sel = w.spec?.selector?.matchLabels ?? {};
    for (const [k, v] of Object.entries(sel)) if (labels[k] !== v) problems.push(`${w.kind}/${w.metadata.name}: selector ${k}=${v} does not match its pod labels`);
    const volumes = new Set((spec.volumes ?? []).map((v) => v.name));
    for (const v of w.spec?.volumeClaimTemplates ?? []) volumes.add(v.metadata.name);
    for (const v of spec.volumes ?? []) {
      if (v.configMap && !has("ConfigMap", v.configMap.name)) problems.push(`${w.metadata.name}: ConfigMap ${v.configMap.name} not found`);
      if (v.secret && !has("Secret", v.secret.secretName)) problems.push(`${w.metadata.name}: Secret ${v.secret.secretName} not found`);
    }
    for (const c of [...(spec.initContainers ?? []), ...spec.containers]) {
      for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) problems.push(`${w.metadata.name}/${c.name}: volume ${m.name} not defined`);
      for (const e of c.envFrom ?? []) {
        if (e.configMapRef && !e.configMapRef.optional && !has("ConfigMap", e.configMapRef.name)) problems.push(`${w.metadata.name}/${c.name}: ConfigMap ${e.configMapRef.name} not found`);
        if (e.secretRef && !e.secretRef.optional && !has("Secret", e.secretRef.name)) problems.push(`${w.metadata.name}/${c.name}: Secret ${e.secretRef.name} not found`);
      }
      for (const e of c.env ?? []) {
        const s = e.valueFrom?.secretKeyRef;
        if (s && !s.optional) {
          const secret = byKind("Secret").find((x) => x.metadata.name === s.name);
          if (!secret) problems.push(`${w.metadata.name}/${c.name}: env ${e.name}: Secret ${s.name} not found`);
          else if (!(s.key in { ...secret.data, ...secret.stringData })) problems.push(`${w.metadata.name}/${c.name}: env ${e.name}: Secret ${s.name} has no key ${s.key}`);
        }
        const m = e.valueFrom?.configMapKeyRef;
        if (m && !m.optional && !has("ConfigMap", m.name)) problems.push(`${w.metadata.name}/${c.name}: env ${e.name}: ConfigMap ${m.name} not found`);
      }
      const ports = new Set((c.ports ?? []).map((p) => p.name));
      for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"]) {
        const port = c[probe]?.httpGet?.port ?? c[probe]?.tcpSocket?.port;
        if (typeof port === "string" && !ports.has(port)) problems.push(`${w.metadata.name}/${c.name}: ${probe} port ${port} is not a named container port`);
      }
    }
  }
  const selects = (selector, w) => Object.entries(selector ?? {}).every(([k, v]) => (w.spec?.template?.metadata?.labels ?? {})[k] === v);
  for (const s of byKind("Service")) {
    if (s.spec?.type === "ExternalName") continue;
    const targets = workloads.filter((w) => selects(s.spec?.selector, w));
    if (targets.length === 0) problems.push(`Service/${s.metadata.name} selects no workload`);
    for (const p of s.spec?.ports ?? []) {
      if (typeof p.targetPort === "string" && !targets.some((w) => podSpec(w).containers.some((c) => (c.ports ?? []).some((cp) => cp.name === p.targetPort)))) {
        problems.push(`Service/${s.metadata.name}: targetPort ${p.targetPort} is no container port of its pods`);
      }
    }
  }
  for (const p of byKind("PodDisruptionBudget")) {
    if (!workloads.some((w) => selects(p.spec?.selector?.matchLabels, w))) problems.push(`PodDisruptionBudget/${p.metadata.name} selects no workload`);
  }
  for (const i of byKind("Ingress")) {
    for (const r of i.spec?.rules ?? []) for (const p of r.http?.paths ?? []) {
      const svc = byKind("Service").find((s) => s.metadata.name === p.backend?.service?.name);
      if (!svc) problems.push(`Ingress/${i.metadata.name}: Service ${p.backend?.service?.name} not found`);
      else if (p.backend.service.port?.name && !svc.spec.ports.some((sp) => sp.name === p.backend.service.port.name)) problems.push(`Ingress/${i.metadata.name}: Service ${svc.metadata.name} has no port ${p.backend.service.port.name}`);
    }
  }
  const scaled = new Set();
  for (const h of byKind("HorizontalPodAutoscaler")) {
    const t = h.spec.scaleTargetRef;
    if (!has(t.kind, t.name)) problems.push(`HorizontalPodAutoscaler/${h.metadata.name}: ${t.kind}/${t.name} not found`);
    scaled.add(t.name);
  }
  for (const so of byKind("ScaledObject")) {
    const t = so.spec.scaleTargetRef;
    if (!has(t.kind ?? "Deployment", t.name)) problems.push(`ScaledObject/${so.metadata.name}: ${t.kind ?? "Deployment"}/${t.name} not found`);
    if (scaled.has(t.name)) problems.push(`ScaledObject/${so.metadata.name}: ${t.name} also has an HPA (KEDA makes its own)`);
    scaled.add(t.name);
    for (const tr of so.spec.triggers) {
      if (tr.authenticationRef && !has(tr.authenticationRef.kind ?? "TriggerAuthentication", tr.authenticationRef.name)) problems.push(`ScaledObject/${so.metadata.name}: TriggerAuthentication ${tr.authenticationRef.name} not found`);
      if (tr.type === "cpu" || tr.type === "memory") {
        const w = docs.find((d) => d.metadata?.name === t.name);
        if (w && podSpec(w).containers.some((c) => !c.resources?.requests?.[tr.type])) problems.push(`ScaledObject/${so.metadata.name}: a ${tr.type} trigger needs ${tr.type} requests on every container`);
      }
    }
  }
  for (const ta of byKind("TriggerAuthentication")) {
    for (const r of ta.spec.secretTargetRef ?? []) {
      const secret = byKind("Secret").find((x) => x.metadata.name === r.name);
      if (!secret) problems.push(`TriggerAuthentication/${ta.metadata.name}: Secret ${r.name} not found`);
      else if (!(r.key in { ...secret.data, ...secret.stringData })) problems.push(`TriggerAuthentication/${ta.metadata.name}: Secret ${r.name} has no key ${r.key}`);
    }
  }
  for (const v of byKind("VerticalPodAutoscaler")) {
    const t = v.spec.targetRef;
    const w = docs.find((d) => d.kind === t.kind && d.metadata?.name === t.name);
    if (!w) problems.push(`VerticalPodAutoscaler/${v.metadata.name}: ${t.kind}/${t.name} not found`);
    for (const cp of v.spec.resourcePolicy?.containerPolicies ?? []) {
      if (w && cp.containerName !== "*" && !podSpec(w).containers.some((c) => c.name === cp.containerName)) problems.push(`VerticalPodAutoscaler/${v.metadata.name}: no container ${cp.containerName}`);
    }
    // A VPA that applies CPU or memory changes to a Deployment an HPA scales on the same resource fights it.
    const hpa = byKind("HorizontalPodAutoscaler").find((h) => h.spec.scaleTargetRef.name === t.name);
    const so = byKind("ScaledObject").find((s) => s.spec.scaleTargetRef.name === t.name);
    const hpaResources = new Set([...(hpa?.spec.metrics ?? []).filter((m) => m.type === "Resource").map((m) => m.resource.name),
      ...(so?.spec.triggers ?? []).filter((tr) => tr.type === "cpu" || tr.type === "memory").map((tr) => tr.type)]);
    if ((v.spec.updatePolicy?.updateMode ?? "Auto") !== "Off") {
      for (const cp of v.spec.resourcePolicy?.containerPolicies ?? []) {
        for (const r of cp.controlledResources ?? ["cpu", "memory"]) if (hpaResources.has(r)) problems.push(`VerticalPodAutoscaler/${v.metadata.name} changes ${r}, which an autoscaler of ${t.name} scales on`);
      }
    }
  }
  for (const name of scaled) {
    const w = docs.find((d) => d.kind === "Deployment" && d.metadata?.name === name);
    if (w && w.spec.replicas !== undefined) problems.push(`Deployment/${name} sets replicas although an autoscaler owns it (each apply would reset it)`);
  }
  if (complete) {
    // With the datastores, every Service name that a connection setting or PgBouncer names must exist.
    for (const name of ["apex-postgres", "apex-redis", "apex-pgbouncer", "apex-api"]) if (!has("Service", name)) problems.push(`Service/${name} missing`);
  }
  return problems;
}

/** Apex's own deployment rules for its two workloads and PgBouncer. */
function apexRules(docs) {
  const problems = [];
  const probes = { "apex-api": 8080, "apex-worker": 8081 };
  for (const w of docs.filter((d) => d.kind === "Deployment")) {
    const spec = podSpec(w);
    if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${w.metadata.name}: pod securityContext.runAsNonRoot must be true`);
    if (spec.automountServiceAccountToken !== false) problems.push(`${w.metadata.name}: automountServiceAccountToken should be false (no Kubernetes API access needed)`);
    for (const c of spec.containers) {
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) problems.push(`${w.metadata.name}/${c.name}: allowPrivilegeEscalation must be false`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${w.metadata.name}/${c.name}: readOnlyRootFilesystem must be true`);
      if (!(sc.capabilities?.drop ?? []).includes("ALL")) problems.push(`${w.metadata.name}/${c.name}: capabilities must drop ALL`);
      for (const r of ["cpu", "memory"]) {
        if (!c.resources?.requests?.[r]) problems.push(`${w.metadata.name}/${c.name}: no ${r} request`);
        if (!c.resources?.limits?.[r] && r === "memory") problems.push(`${w.metadata.name}/${c.name}: no memory limit`);
      }
      if (!c.livenessProbe || !c.readinessProbe) problems.push(`${w.metadata.name}/${c.name}: needs liveness and readiness probes`);
      const port = probes[w.metadata.name];
      if (port) {
        const named = (p) => (typeof p === "string" ? c.ports.find((x) => x.name === p)?.containerPort : p);
        if (c.livenessProbe?.httpGet?.path !== "/health/live") problems.push(`${w.metadata.name}: liveness must probe /health/live`);
        if (c.readinessProbe?.httpGet?.path !== "/health/ready") problems.push(`${w.metadata.name}: readiness must probe /health/ready`);
        if (named(c.livenessProbe?.httpGet?.port) !== port) problems.push(`${w.metadata.name}: probes must use port ${port}`);
        const urls = c.env?.find((e) => e.name === "Urls")?.value;
        if (urls && !urls.endsWith(`:${port}`)) problems.push(`${w.metadata.name}: Urls ${urls} is not port ${port}`);
        if (!c.env?.some((e) => e.name === "ConnectionStrings__Redis")) problems.push(`${w.metadata.name}: no ConnectionStrings__Redis`);
      }
      if (w.metadata.name === "apex-worker" && c.env?.some((e) => e.name === "ConnectionStrings__Postgres")) {
        problems.push("apex-worker: workers hold no database credentials (DESIGN invariant 7)");
      }
      if (w.metadata.name === "apex-api" && !c.env?.some((e) => e.name === "ConnectionStrings__Postgres")) problems.push("apex-api: no ConnectionStrings__Postgres");
    }
  }
  const so = docs.find((d) => d.kind === "ScaledObject");
  const stream = so?.spec.triggers.find((t) => t.type === "redis-streams");
  if (!stream) problems.push("no redis-streams trigger for the workers");
  else if (stream.metadata.stream !== "apex:work") problems.push(`the redis-streams trigger watches ${stream.metadata.stream}, not apex:work`);
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// docker-compose.yml

function composeChecks() {
  const file = path.join(root, "deploy/docker-compose.yml");
  const dir = path.dirname(file);
  let c;
  try {
    c = YAML.parse(readFileSync(file, "utf8"), { merge: true });
  } catch (e) {
    check("deploy/docker-compose.yml parses", [e.message]);
    return;
  }
  check("deploy/docker-compose.yml parses", []);
  const problems = [];
  const services = c.services ?? {};
  for (const s of ["postgres", "pgbouncer", "redis", "api1", "api2", "lb", "worker", "prometheus", "grafana", "jaeger"]) {
    if (!services[s]) problems.push(`service ${s} missing`);
  }
  const allowed = new Set(["image", "build", "command", "entrypoint", "environment", "volumes", "ports", "depends_on",
    "healthcheck", "restart", "deploy", "read_only", "tmpfs", "stop_grace_period", "user", "expose", "labels", "profiles"]);
  const hostPorts = new Map();
  for (const [name, s] of Object.entries(services)) {
    for (const key of Object.keys(s)) if (!allowed.has(key)) problems.push(`${name}: unexpected key ${key}`);
    if (!s.image && !s.build) problems.push(`${name}: neither image nor build`);
    if (s.image && !s.build && !/^[\w./-]+:[\w.-]+$/.test(s.image)) problems.push(`${name}: image ${s.image} has no pinned tag`);
    if (s.build) {
      const ctx = path.resolve(dir, s.build.context ?? ".");
      if (!existsSync(ctx)) problems.push(`${name}: build context ${s.build.context} missing`);
      if (!existsSync(path.resolve(ctx, s.build.dockerfile ?? "Dockerfile"))) problems.push(`${name}: ${s.build.dockerfile} missing`);
    }
    const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
    for (const d of deps) {
      if (!services[d]) problems.push(`${name}: depends_on unknown service ${d}`);
      const cond = s.depends_on?.[d]?.condition;
      if (cond === "service_healthy" && !services[d]?.healthcheck && !services[d]?.build) problems.push(`${name}: waits for ${d} to be healthy, which has no healthcheck`);
    }
    for (const p of s.ports ?? []) {
      const host = String(p).split(":").slice(0, -1).join(":");
      if (hostPorts.has(host)) problems.push(`${name}: host port ${host} also published by ${hostPorts.get(host)}`);
      hostPorts.set(host, name);
    }
    for (const v of s.volumes ?? []) {
      const src = String(v).split(":")[0];
      if (!src.startsWith(".")) {
        if (!(c.volumes && src in c.volumes)) problems.push(`${name}: named volume ${src} not declared`);
        continue;
      }
      const p = path.resolve(dir, src);
      if (existsSync(p)) continue;
      // deploy/prometheus and deploy/grafana come from the metrics work; say so rather than pass or fail silently.
      if (/^\.\/(prometheus|grafana)\//.test(src)) skip(`compose ${name} mount ${src}`, "not in this checkout (the Prometheus/Grafana files)");
      else problems.push(`${name}: mounted ${src} does not exist`);
    }
    for (const [k, v] of Object.entries(s.environment ?? {})) {
      // ${VAR}, ${VAR-default}, ${VAR:-default}, and ${VAR?message} / ${VAR:?message} (required: compose stops with the message).
      if (/\$\{(?![A-Z_][A-Z0-9_]*(:?[-?][^}]*)?\})/.test(String(v))) problems.push(`${name}: ${k} has a malformed \${...}`);
    }
  }
  const env = (s) => services[s]?.environment ?? {};
  for (const api of ["api1", "api2"]) {
    if (!env(api).ConnectionStrings__Postgres) problems.push(`${api}: no ConnectionStrings__Postgres`);
    if (!env(api).ConnectionStrings__Redis) problems.push(`${api}: no ConnectionStrings__Redis`);
    if (!/jaeger:4317/.test(env(api).OTEL_EXPORTER_OTLP_ENDPOINT ?? "")) problems.push(`${api}: OTEL_EXPORTER_OTLP_ENDPOINT is not Jaeger`);
  }
  if (env("api1").Apex__Distributed__ServerId === env("api2").Apex__Distributed__ServerId) problems.push("api1 and api2 share a ServerId");
  if (!env("worker").ConnectionStrings__Redis) problems.push("worker: no ConnectionStrings__Redis");
  if (env("worker").ConnectionStrings__Postgres) problems.push("worker: workers hold no database credentials");
  if (!/jaeger:4317/.test(env("worker").OTEL_EXPORTER_OTLP_ENDPOINT ?? "")) problems.push("worker: OTEL_EXPORTER_OTLP_ENDPOINT is not Jaeger");
  if (services.worker?.ports) problems.push("worker: publishes ports, so `--scale worker=N` would collide");
  if (services.worker?.container_name) problems.push("worker: container_name prevents scaling");
  const ini = readFileSync(path.join(dir, "pgbouncer/pgbouncer.ini"), "utf8");
  const db = /^apex\s*=.*host=(\S+)/m.exec(ini)?.[1];
  if (!services[db]) problems.push(`pgbouncer.ini points at host ${db}, not a compose service`);
  const pg = /Host=([^;]+);Port=(\d+)/.exec(env("api1").ConnectionStrings__Postgres ?? "");
  if (!pg || !services[pg[1]] || (pg[1] === "pgbouncer" && !ini.includes(`listen_port = ${pg[2]}`))) problems.push("api1's ConnectionStrings__Postgres does not reach PgBouncer's listen_port");
  const nginx = readFileSync(path.join(dir, "nginx/nginx.conf"), "utf8");
  for (const api of ["api1", "api2"]) if (!nginx.includes(`server ${api}:8080`)) problems.push(`nginx.conf does not balance to ${api}:8080`);
  check("deploy/docker-compose.yml services, references and mounts", problems);
}

// ---------------------------------------------------------------------------------------------------------------
// Dockerfiles

function parseDockerfile(text) {
  const lines = text.replace(/\\\r?\n/g, " ").split(/\r?\n/);
  return lines.map((l) => l.trim()).filter((l) => l && !l.startsWith("#")).map((l) => {
    const [, op, rest] = /^(\S+)\s*(.*)$/.exec(l);
    return { op: op.toUpperCase(), args: rest };
  });
}

function dockerignore() {
  const f = path.join(root, ".dockerignore");
  if (!existsSync(f)) return [];
  return readFileSync(f, "utf8").split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith("#"))
    .map((p) => new RegExp(`^${p.replace(/\*\*\//g, "(.*/)?").replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}(/|$)`));
}

/** ProjectReference closure of a project, as repository-relative paths. */
function projectClosure(project, acc = new Set()) {
  if (acc.has(project)) return acc;
  acc.add(project);
  const text = readFileSync(path.join(root, project), "utf8");
  for (const [, ref] of text.matchAll(/ProjectReference\s+Include="([^"]+)"/g)) {
    projectClosure(path.relative(root, path.resolve(path.dirname(path.join(root, project)), ref.replace(/\\/g, "/"))), acc);
  }
  return acc;
}

function dockerfileChecks(name) {
  const file = path.join(root, "deploy", name);
  const problems = [];
  const ins = parseDockerfile(readFileSync(file, "utf8"));
  if (ins[0]?.op !== "FROM") problems.push("does not start with FROM");
  const stages = [];
  for (const i of ins) {
    if (i.op === "FROM") {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(i.args);
      if (!m) problems.push(`FROM ${i.args}: malformed`);
      else if (!/:[\w.-]+$/.test(m[1]) && !stages.some((s) => s.name === m[1])) problems.push(`FROM ${m[1]}: no pinned tag`);
      stages.push({ name: m?.[2], ins: [] });
    } else if (stages.length) stages.at(-1).ins.push(i);
  }
  const ignored = dockerignore();
  const copied = [];
  for (const s of stages) {
    for (const i of s.ins) {
      if (i.op !== "COPY" && i.op !== "ADD") continue;
      const parts = i.args.split(/\s+/);
      const from = parts.find((p) => p.startsWith("--from="))?.slice(7);
      const paths = parts.filter((p) => !p.startsWith("--"));
      const sources = paths.slice(0, -1);
      if (from) {
        if (!stages.some((x) => x.name === from)) problems.push(`COPY --from=${from}: no such stage`);
        continue;
      }
      for (const src of sources) {
        const clean = src.replace(/\/$/, "");
        if (!existsSync(path.join(root, clean))) problems.push(`COPY ${src}: not in the build context (repository root)`);
        else if (ignored.some((r) => r.test(clean))) problems.push(`COPY ${src}: excluded by .dockerignore`);
        copied.push(clean);
      }
    }
  }
  const final = stages.at(-1);
  const op = (o) => final?.ins.filter((i) => i.op === o) ?? [];
  const user = op("USER").at(-1)?.args;
  if (!user) problems.push("final stage has no USER");
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`final stage runs as ${user}`);
  if (op("HEALTHCHECK").length !== 1) problems.push("final stage needs exactly one HEALTHCHECK");
  if (op("ENTRYPOINT").length + op("CMD").length === 0) problems.push("final stage has no ENTRYPOINT or CMD");
  const exposed = op("EXPOSE").map((i) => Number.parseInt(i.args, 10));
  if (exposed.length !== 1) problems.push("final stage should EXPOSE one port");
  const urls = /Urls=http:\/\/\+:(\d+)/.exec(op("ENV").map((i) => i.args).join(" "))?.[1];
  if (Number(urls) !== exposed[0]) problems.push(`Urls port ${urls} is not the EXPOSEd port ${exposed[0]} (appsettings.json's Urls outranks ASPNETCORE_URLS)`);
  const hc = op("HEALTHCHECK")[0]?.args ?? "";
  if (!hc.includes(`/dev/tcp/127.0.0.1/${exposed[0]}`) || !hc.includes("/health/live")) problems.push("HEALTHCHECK does not probe /health/live on the exposed port");
  // The published project and every project it references must be inside what the build stage copies, with the root
  // build files beside them.
  const publish = ins.find((i) => i.op === "RUN" && /dotnet publish/.test(i.args));
  const project = /dotnet publish\s+(\S+\.csproj)/.exec(publish?.args ?? "")?.[1];
  if (!project || !existsSync(path.join(root, project))) problems.push("no `dotnet publish <project>.csproj` of an existing project");
  else {
    for (const p of projectClosure(project)) {
      if (!copied.some((c) => p === c || p.startsWith(`${c}/`))) problems.push(`${p} (referenced by ${project}) is not copied into the build stage`);
    }
    for (const f of ["global.json", "Directory.Build.props", "Directory.Packages.props"]) if (!copied.includes(f)) problems.push(`${f} is not copied into the build stage`);
    const entry = op("ENTRYPOINT")[0]?.args ?? "";
    if (!entry.includes(`${path.basename(project, ".csproj")}.dll`)) problems.push(`ENTRYPOINT does not start ${path.basename(project, ".csproj")}.dll`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------------------------
// Self-test: the validator must reject these.

function selfTest() {
  const base = path.join(root, "deploy/k8s/base");
  const find = (file, kind) => readDocs(path.join(base, file)).find((d) => d.kind === kind);
  const cases = [
    ["Deployment replicas as a string", "api.yaml", "Deployment", (d) => { d.spec.replicas = "two"; }],
    ["unknown field in a container", "api.yaml", "Deployment", (d) => { d.spec.template.spec.containers[0].livenesProbe = d.spec.template.spec.containers[0].livenessProbe; }],
    ["unknown field at the top of a spec", "worker.yaml", "Deployment", (d) => { d.spec.replica = 3; }],
    ["Deployment without selector", "api.yaml", "Deployment", (d) => { delete d.spec.selector; }],
    ["container without name", "worker.yaml", "Deployment", (d) => { delete d.spec.template.spec.containers[0].name; }],
    ["HPA averageUtilization as a string", "api-autoscaling.yaml", "HorizontalPodAutoscaler", (d) => { d.spec.metrics[0].resource.target.averageUtilization = "70%"; }],
    ["ScaledObject trigger without type", "worker-autoscaling.yaml", "ScaledObject", (d) => { delete d.spec.triggers[0].type; }],
    ["ScaledObject metadata value not a string", "worker-autoscaling.yaml", "ScaledObject", (d) => { d.spec.triggers[0].metadata.streamLength = 48; }],
    ["ScaledObject unknown spec field", "worker-autoscaling.yaml", "ScaledObject", (d) => { d.spec.maxReplicas = 50; }],
    ["VPA updateMode not in its enum", "api-autoscaling.yaml", "VerticalPodAutoscaler", (d) => { d.spec.updatePolicy.updateMode = "Sometimes"; }],
    ["Service port as a string", "api.yaml", "Service", (d) => { d.spec.ports[0].port = "80"; }],
  ];
  const problems = [];
  for (const [name, file, kind, breakIt] of cases) {
    const d = find(file, kind);
    const before = validateStrict(schemaFor(d.apiVersion, d.kind), structuredClone(d));
    if (before.length) problems.push(`${name}: the unbroken ${kind} already fails: ${before[0]}`);
    breakIt(d);
    if (validateStrict(schemaFor(d.apiVersion, d.kind), d).length === 0) problems.push(`${name}: accepted`);
  }
  check(`self-test: ${cases.length} deliberately broken manifests are rejected`, problems);
  const refs = readDocs(path.join(base, "worker-autoscaling.yaml"));
  refs.find((d) => d.kind === "ScaledObject").spec.scaleTargetRef.name = "apex-wroker";
  check("self-test: a ScaledObject naming a missing Deployment is rejected",
    references([...renderLocally(base).filter((d) => d.kind !== "ScaledObject"), ...refs.filter((d) => d.kind === "ScaledObject").map((d) => ({ ...d, metadata: { ...d.metadata, namespace: "apex" } }))], false)
      .some((p) => p.includes("apex-wroker")) ? [] : ["accepted"]);
}

try {
  kubernetesChecks();
  composeChecks();
  for (const f of ["Dockerfile.server", "Dockerfile.worker"]) check(`deploy/${f} lint`, dockerfileChecks(f));
  selfTest();
} catch (e) {
  check("validator ran to the end", [e.stack ?? String(e)]);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
