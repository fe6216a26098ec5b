// Validates Kubernetes objects (a JSON array on stdin) against the API schemas shipped by
// kubernetes-models (and the Prometheus Operator's for ServiceMonitor). Prints a JSON array of
// {kind, name, error}; exits 1 when any object is invalid or of an unknown kind. ES module: the
// models are ES modules only, so this runs under plain node rather than inside jest.
import { readFileSync } from 'fs';

function modulePath(apiVersion, kind) {
  if (apiVersion.startsWith('monitoring.coreos.com/')) return `@kubernetes-models/prometheus-operator/${apiVersion}/${kind}`;
  return `kubernetes-models/${apiVersion}/${kind}`;
}

const objects = JSON.parse(readFileSync(0, 'utf8'));
const results = [];
for (const o of objects) {
  const name = o?.metadata?.name;
  let error = null;
  try {
    const mod = await import(modulePath(o.apiVersion, o.kind));
    const Model = mod[o.kind];
    if (!Model) throw new Error(`no model for ${o.apiVersion} ${o.kind}`);
    new Model(o).validate();
  } catch (err) {
    error = String(err?.message ?? err);
  }
  results.push({ kind: o.kind, name, error });
}
process.stdout.write(JSON.stringify(results));
process.exit(results.some((r) => r.error) ? 1 : 0);
