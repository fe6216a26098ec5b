// The Helm chart (charts/vpn-console): lints, renders with the default values and with the example
// production values, every rendered object validates against the Kubernetes API schemas, and the
// parts an installation depends on are there (the worker's privileges and placement, the migration
// hook, the probes' paths). helm comes from scripts/lib.sh's ensure_helm (the test command runs it).
import { execFileSync, spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { loadAll } from 'js-yaml';

const ROOT = join(__dirname, '..', '..');
const CHART = join(ROOT, 'charts', 'vpn-console');
const PRODUCTION_VALUES = join(CHART, 'examples', 'production-values.yaml');
const HELM = process.env.HELM ?? join(ROOT, '.cache', 'helm', 'helm', 'helm');

type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: any;
  data?: any;
  stringData?: any;
};

function helm(args: string[]): string {
  return execFileSync(HELM, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function render(valueArgs: string[]): K8sObject[] {
  return (loadAll(helm(['template', 'vpn', CHART, '--namespace', 'vpn', ...valueArgs])) as K8sObject[]).filter(Boolean);
}

function validate(objects: unknown[]): { kind: string; name: string; error: string | null }[] {
  const r = spawnSync(process.execPath, [join(__dirname, 'validate-k8s.mjs')], { cwd: ROOT, input: JSON.stringify(objects), encoding: 'utf8' });
  if (!r.stdout) throw new Error(`validate-k8s.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const find = (objs: K8sObject[], kind: string, suffix: string) => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name.endsWith(suffix));
  if (!o) throw new Error(`no ${kind} *${suffix} among ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
};

beforeAll(() => {
  if (!existsSync(HELM)) throw new Error(`helm is missing at ${HELM}: run \`bash -c 'source scripts/lib.sh; ensure_helm'\` (npm test does)`);
});

it('the schema validator rejects a wrong object (the check below can fail)', () => {
  const [r] = validate([
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'x' },
      spec: { selector: {}, template: { spec: { hostNetwork: 'yes', containers: [{ name: 'w' }] } } },
    },
  ]);
  expect(r.error).toMatch(/hostNetwork must be boolean/);
});

describe.each([
  ['default values', [] as string[]],
  ['the example production values', ['-f', PRODUCTION_VALUES]],
])('with %s', (_label, valueArgs) => {
  let objects: K8sObject[];
  beforeAll(() => {
    objects = render(valueArgs);
  });

  it('helm lint passes', () => {
    expect(helm(['lint', CHART, ...valueArgs])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it('every rendered object validates against the Kubernetes schemas', () => {
    const results = validate(objects);
    expect(results.length).toBeGreaterThanOrEqual(7);
    expect(results.filter((r) => r.error)).toEqual([]);
  });

  it('the worker is a privileged DaemonSet on the host network, on labelled nodes only', () => {
    const ds = find(objects, 'DaemonSet', '-worker');
    const pod = ds.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    expect(pod.nodeSelector).toEqual({ 'vpn-console.io/gateway-host': 'true' });
    expect(pod.containers[0].securityContext.privileged).toBe(true);
    const env = Object.fromEntries(pod.containers[0].env.filter((e: any) => 'value' in e).map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ NETWORK_DRIVER: 'vxlan', PUBLIC_BRIDGE: 'br-public' });
    // HOST_ID comes from the node's hostname (hostNetwork), sanitised by the worker.
    expect(pod.containers[0].env.find((e: any) => e.name === 'HOST_ID')).toBeUndefined();
    expect(pod.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([expect.objectContaining({ mountPath: '/var/run/netns', mountPropagation: 'Bidirectional' })]),
    );
    // Liveness: the worker's health file, judged by the CLI the image carries.
    expect(pod.containers[0].livenessProbe.exec.command).toEqual(['node', 'dist/src/cli/worker-health.js', '--max-age-ms', '15000']);
  });

  it('migrations run as a pre-install/pre-upgrade hook Job', () => {
    const job = find(objects, 'Job', '-migrations');
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    expect(job.spec.template.spec.containers[0].command).toEqual(['node', 'dist/src/cli/migrate.js']);
    // The URL the Job reads exists before it runs: the operator's Secret, or the chart's hook Secret.
    const ref = job.spec.template.spec.containers[0].env.find((e: any) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef;
    const own = objects.find((o) => o.kind === 'Secret' && o.metadata.name === ref.name);
    if (own) expect(Number(own.metadata.annotations?.['helm.sh/hook-weight'])).toBeLessThan(Number(job.metadata.annotations?.['helm.sh/hook-weight']));
  });

  it('the API probes /readyz and /livez, runs as non-root, and is covered by a PDB and a NetworkPolicy', () => {
    const api = find(objects, 'Deployment', '-api');
    const c = api.spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/livez');
    expect(api.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    expect(c.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
    expect(find(objects, 'PodDisruptionBudget', '-api').spec.selector.matchLabels).toEqual(api.spec.selector.matchLabels);
    expect(find(objects, 'NetworkPolicy', '-api').spec.podSelector.matchLabels).toEqual(api.spec.selector.matchLabels);
    expect(find(objects, 'Service', '-api').spec.selector).toEqual(api.spec.selector.matchLabels);
  });
});

it('the production example autoscales the API, scrapes it, and takes the keys from an existing Secret', () => {
  const objects = render(['-f', PRODUCTION_VALUES]);
  expect(find(objects, 'HorizontalPodAutoscaler', '-api').spec.minReplicas).toBe(3);
  expect(find(objects, 'ServiceMonitor', '-api').spec.endpoints[0].path).toBe('/metrics');
  expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
  const env = find(objects, 'DaemonSet', '-worker').spec.template.spec.containers[0].env;
  expect(env.find((e: any) => e.name === 'VXLAN_PEERS').value).toBe('10.20.0.21,10.20.0.22');
  expect(env.find((e: any) => e.name === 'SECRETS_KEY').valueFrom.secretKeyRef.name).toBe('vpn-console-keys');
});

it('values.schema.json refuses a bad value, naming it', () => {
  const r = spawnSync(HELM, ['template', 'vpn', CHART, '--set', 'worker.network.driver=bogus'], { encoding: 'utf8' });
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/worker\.network\.driver/);
});

it('values.yaml documents every setting (a comment line above each key; Kubernetes objects below their documented key)', () => {
  // Inside these the fields are Kubernetes' own (ResourceRequirements, SecurityContext, Probe).
  const KUBERNETES_OBJECTS = new Set(['resources', 'podSecurityContext', 'securityContext', 'readinessProbe', 'livenessProbe']);
  const lines = readFileSync(join(CHART, 'values.yaml'), 'utf8').split('\n');
  const undocumented: string[] = [];
  const stack: { indent: number; key: string }[] = [];
  let previous = '';
  lines.forEach((line, i) => {
    const m = /^(\s*)([A-Za-z][\w.-]*):/.exec(line);
    if (m) {
      const indent = m[1].length;
      while (stack.length && stack[stack.length - 1].indent >= indent) stack.pop();
      const insideKubernetesObject = stack.some((s) => KUBERNETES_OBJECTS.has(s.key));
      if (!insideKubernetesObject && !/^\s*#/.test(previous)) undocumented.push(`${i + 1}: ${line.trim()}`);
      stack.push({ indent, key: m[2] });
    }
    if (line.trim()) previous = line;
  });
  expect(undocumented).toEqual([]);
});
