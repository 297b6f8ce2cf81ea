import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import dockerignore from '@balena/dockerignore';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { configKeys, loadConfig, type z } from '@malet/config';
import { parseTrustedProxies } from '@malet/http-server';
import { GATEWAY, SERVICES, databaseName, type ServiceName } from '@malet/service-registry';
import { authEnvSchema } from '../services/auth/src/config';
import { usersEnvSchema } from '../services/users/src/config';
import { organizationsEnvSchema } from '../services/organizations/src/config';
import { contentFeedEnvSchema } from '../services/content-feed/src/config';
import { scimEnvSchema } from '../services/scim/src/config';
import { gatewayEnvSchema } from '../gateway/src/config';
import { GATEWAY_NODE_FLAGS } from '../gateway/src/node-flags';

const root = resolve(import.meta.dirname, '..');

/** Every process of the registry must appear here (the type insists), so none goes unchecked. */
const schemas: Record<ServiceName | typeof GATEWAY.name, z.ZodObject> = {
  auth: authEnvSchema,
  users: usersEnvSchema,
  organizations: organizationsEnvSchema,
  'content-feed': contentFeedEnvSchema,
  scim: scimEnvSchema,
  gateway: gatewayEnvSchema,
};
const processNames = [...SERVICES, GATEWAY].map((entry) => entry.name);
/** Read by Node itself, not by a service's config (the gateway's flags: gateway/src/node-flags.ts). */
const nodeRuntimeVariables = ['NODE_OPTIONS'];

/** Values as compose would interpolate them from .env.example (`${VAR:?msg}`, `${VAR:-default}`, `${VAR}`). */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(/\$\{([A-Z_]+)(?::[?-]([^}]*))?\}/g, (_match, name: string, fallback?: string) => env[name] ?? fallback ?? '');
}

/**
 * `.env.example` as an operator fills it in: its all-zero placeholder secrets replaced by fresh
 * ones, as its first lines say (production refuses the placeholders themselves).
 */
const exampleEnv = Object.fromEntries(
  readFileSync(join(root, '.env.example'), 'utf8')
    .split('\n')
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
    .map(([key, value]) => [key, /^0+$/.test(value!) ? randomBytes(32).toString('hex') : value]),
);

/** docker-compose.yml as compose reads it (anchors merged). */
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string | number>; build?: { args?: { SERVICE_DIR?: string } }; ports?: string[]; profiles?: string[] }>;
};

/** The documents of a process's manifest, infra/k8s/<name>.yaml. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML; each test reads the fields it checks
const k8sDocuments = (name: string): any[] => parseAllDocuments(readFileSync(join(root, 'infra/k8s', `${name}.yaml`), 'utf8')).map((doc) => doc.toJS());
/** The variables of the process's container in its Deployment. */
const k8sContainerEnv = (name: string) => k8sDocuments(name).find((doc) => doc.kind === 'Deployment').spec.template.spec.containers[0].env as { name: string; value?: string }[];

describe('docker-compose.yml', () => {

  it('has an entry for every service and the gateway, each building its own workspace', () => {
    for (const entry of [...SERVICES, GATEWAY]) {
      expect(compose.services[entry.name], entry.name).toBeDefined();
      expect(compose.services[entry.name]!.build?.args?.SERVICE_DIR).toBe(entry.workspace);
    }
  });

  it('runs every process on its registry port, each service on its own database, the gateway pointing at each', () => {
    for (const entry of [...SERVICES, GATEWAY]) expect(String(compose.services[entry.name]!.environment?.PORT), entry.name).toBe(String(entry.port));
    for (const service of SERVICES) {
      expect(String(compose.services[service.name]!.environment?.DATABASE_URL)).toMatch(new RegExp(`/${databaseName(service)}$`));
      expect(compose.services.gateway!.environment?.[service.urlEnv]).toBe(`http://${service.name}:${service.port}`);
    }
  });

  it.each(processNames)('%s: sets only variables its config schema accepts, and they parse in production', (name) => {
    const environment = Object.fromEntries(
      Object.entries(compose.services[name]!.environment ?? {}).map(([key, value]) => [key, interpolate(String(value), exampleEnv)]),
    );
    const accepted = [...configKeys(schemas[name]!), ...nodeRuntimeVariables];
    expect(Object.keys(environment).filter((key) => !accepted.includes(key))).toEqual([]);
    expect(environment.NODE_ENV).toBe('production');
    expect(() => loadConfig(schemas[name]!, environment)).not.toThrow();
  });
});

describe('infra/k8s manifests', () => {
  it.each([...SERVICES, GATEWAY].map((entry) => [entry.name, entry] as const))('%s: container and Service use its registry port', (name, entry) => {
    const documents = k8sDocuments(name);
    const deployment = documents.find((doc) => doc.kind === 'Deployment');
    const service = documents.find((doc) => doc.kind === 'Service');
    expect(deployment.spec.template.spec.containers[0].ports[0].containerPort).toBe(entry.port);
    expect(service.spec.ports[0].port).toBe(entry.port);
  });

  it('points the gateway at every service by its Kubernetes Service name and registry port', () => {
    const env = k8sContainerEnv('gateway');
    for (const service of SERVICES) expect(env.find((entry) => entry.name === service.urlEnv)?.value).toBe(`http://${service.name}:${service.port}`);
  });

  it.each(processNames)('%s: every container variable is one its config schema accepts', (name) => {
    const deployment = k8sDocuments(name).find((doc) => doc.kind === 'Deployment');
    const env = deployment.spec.template.spec.containers[0].env as { name: string }[];
    const accepted = [...configKeys(schemas[name]!), ...nodeRuntimeVariables];
    expect(env.map((entry) => entry.name).filter((key) => !accepted.includes(key))).toEqual([]);
    expect(deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/ready');
  });
});

/**
 * Every manifest document, validated offline against the Kubernetes API schemas: the
 * `kubernetes-models` package ships a JSON-schema validator (ajv, compiled from the Kubernetes
 * OpenAPI definitions) per kind. Those schemas check types, enums and required fields; they do
 * not reject unknown fields (the Kubernetes OpenAPI does not forbid them), so the fields that
 * matter (probes, resources, budgets, policies) are also checked by name below.
 */
const manifestFiles = readdirSync(join(root, 'infra/k8s')).filter((file) => file.endsWith('.yaml'));
const manifests = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(root, 'infra/k8s', file), 'utf8')).map((doc) => ({ file, doc: doc.toJS() as K8sObject })),
);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, whose shape the schema validation above vouches for
type Manifest = Record<string, any>;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, never>;
}

async function validateAgainstSchema(object: K8sObject): Promise<void> {
  const module = (await import(`kubernetes-models/${object.apiVersion}`)) as Record<string, new (data: unknown) => { validate(): void }>;
  const Model = module[object.kind];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

describe('infra/k8s manifests against the Kubernetes schemas', () => {
  it.each(manifests.map(({ file, doc }) => [`${file} ${doc.kind}/${doc.metadata.name}`, doc] as const))('%s is valid', async (_name, doc) => {
    await expect(validateAgainstSchema(doc)).resolves.toBeUndefined();
  });

  it('rejects a broken manifest, so the check can fail', async () => {
    const deployment = manifests.find(({ doc }) => doc.kind === 'Deployment')!.doc;
    const broken = structuredClone(deployment) as unknown as { spec: { replicas: unknown; template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } } };
    broken.spec.template.spec.containers[0]!.ports[0]!.containerPort = 'http';
    await expect(validateAgainstSchema(broken as unknown as K8sObject)).rejects.toThrow('containerPort must be integer');
    const withoutSelector = structuredClone(deployment) as unknown as { spec: { selector?: unknown } };
    delete withoutSelector.spec.selector;
    await expect(validateAgainstSchema(withoutSelector as unknown as K8sObject)).rejects.toThrow('selector');
  });

  it.each(processNames)('%s: probes, resources, at least two replicas, a disruption budget and a network policy', (name) => {
    const ofProcess = manifests.filter(({ file }) => file === `${name}.yaml`).map(({ doc }) => doc as unknown as Manifest);
    const deployment = ofProcess.find((doc) => doc.kind === 'Deployment')!;
    const container = deployment.spec.template.spec.containers[0];
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(container.startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(Object.keys(container.resources.requests).sort()).toEqual(['cpu', 'memory']);
    expect(container.resources.limits.memory).toBeDefined();
    // The pod gets longer to stop than it takes to leave the endpoints and drain.
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(15);

    const budget = ofProcess.find((doc) => doc.kind === 'PodDisruptionBudget')!;
    expect(budget.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(budget.spec.maxUnavailable).toBe(1);

    const policy = ofProcess.find((doc) => doc.kind === 'NetworkPolicy')!;
    expect(policy.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
  });

  it('lets only the gateway and the internal callers the service registry names reach each service; nothing else gets in', () => {
    const policies = manifests.filter(({ doc }) => doc.kind === 'NetworkPolicy').map(({ doc }) => doc as unknown as Manifest);
    const denyAll = policies.find((policy) => policy.metadata.name === 'default-deny-ingress')!;
    expect(denyAll.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
    for (const service of SERVICES) {
      const policy = policies.find((candidate) => candidate.metadata.name === service.name)!;
      const [callers, monitoring] = policy.spec.ingress as { from: Manifest[] }[];
      expect(callers!.from.map((peer) => peer.podSelector?.matchLabels['app.kubernetes.io/name'])).toEqual(['gateway', ...service.internalCallers]);
      expect(monitoring!.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }]);
      expect(policy.spec.ingress).toHaveLength(2);
    }
  });
});

describe('the image build context and the Dockerfile', () => {
  // Docker's own matching rules (Go filepath.Match with **, last matching rule wins, ! re-includes).
  const context = dockerignore({ ignorecase: false }).add(
    readFileSync(join(root, '.dockerignore'), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#')),
  );

  it.each([
    '.env',
    '.env.local',
    '.env.production',
    '.env.example.bak',
    'services/auth/.env',
    'gateway/.env.test',
    'packages/config/nested/.env.staging',
    'secrets/tls.key',
    'deploy/tls.pem',
    '.data/postgres/PG_VERSION',
    'node_modules/pg/package.json',
    'gateway/node_modules/undici/index.js',
    'gateway/dist/main.js',
    '.git/HEAD',
  ])('keeps %s out of the build context', (path) => expect(context.ignores(path)).toBe(true));

  it.each(['.env.example', 'package.json', 'pnpm-lock.yaml', 'services/auth/src/main.ts', 'services/auth/drizzle/0000_init.sql', 'gateway/supergraph.graphql'])(
    'keeps %s in the build context',
    (path) => expect(context.ignores(path)).toBe(false),
  );

  it('copies only named manifests and workspace folders, never the whole context, and none of them can carry an .env file', () => {
    const copies = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .filter((line) => /^(COPY|ADD)\s/i.test(line) && !line.includes('--from='))
      .flatMap((line) => line.trim().split(/\s+/).slice(1, -1));
    expect(copies).not.toContain('.');
    expect(copies.every((source) => !source.includes('*'))).toBe(true);
    expect(copies).toEqual(['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json', 'tsup.config.ts', 'turbo.json', 'packages', 'services', 'gateway']);
    // The folders copied whole: an .env file anywhere inside them stays out of the context.
    for (const folder of copies.filter((source) => !source.includes('.'))) {
      for (const secret of ['.env', '.env.local', 'a/.env', 'a/b/.env.production']) expect(context.ignores(`${folder}/${secret}`), `${folder}/${secret}`).toBe(true);
    }
  });
});

describe('what the deployment files publish', () => {
  it('publishes the mail catcher only in the local profile, on loopback; nothing but the gateway otherwise', () => {
    expect(compose.services.mail!.profiles).toEqual(['local']);
    expect(compose.services.mail!.ports).toEqual(['127.0.0.1:1080:1080']);
    const published = Object.entries(compose.services)
      .filter(([, service]) => service.ports?.length && !service.profiles?.includes('local'))
      .map(([name]) => name);
    expect(published).toEqual(['gateway']);
  });

  it.each(['auth', 'organizations'])('takes %s\'s SMTP_URL from the environment (required), never a built-in catcher address', (service) => {
    expect(compose.services[service]!.environment!.SMTP_URL).toMatch(/^\$\{SMTP_URL:\?/);
  });

  it('sets TRUST_PROXY in explicit forms only: a CIDR list for auth, what the gateway\'s parser accepts for the gateway', () => {
    const k8sEnv = (name: string) => k8sContainerEnv(name).find((entry) => entry.name === 'TRUST_PROXY')?.value;
    const cidrList = /^(\d{1,3}(\.\d{1,3}){3}\/\d{1,2})(,\s*\d{1,3}(\.\d{1,3}){3}\/\d{1,2})*$/;
    expect(compose.services.auth!.environment!.TRUST_PROXY).toMatch(cidrList);
    expect(k8sEnv('auth')).toMatch(cidrList);
    for (const value of [k8sEnv('gateway'), String(compose.services.gateway!.environment?.TRUST_PROXY ?? 'none')]) expect(() => parseTrustedProxies(value!)).not.toThrow();
  });
});

describe('the gateway\'s Node flags (gateway/src/node-flags.ts)', () => {
  const flags = GATEWAY_NODE_FLAGS.join(' ');

  it('are in every way the gateway starts: its start script, compose and Kubernetes (NODE_OPTIONS), pnpm dev', () => {
    const start = (JSON.parse(readFileSync(join(root, 'gateway/package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toBe(`node ${flags} dist/main.js`);
    expect(compose.services.gateway!.environment!.NODE_OPTIONS).toBe(flags);
    expect(k8sContainerEnv('gateway').find((entry) => entry.name === 'NODE_OPTIONS')?.value).toBe(flags);
    expect(readFileSync(join(root, 'scripts/dev.ts'), 'utf8')).toMatch(/nodeProcess\(GATEWAY\.name, [^)]*, GATEWAY_NODE_FLAGS\)/);
  });

  it('are flags Node accepts in NODE_OPTIONS, so the orchestrated gateway does start with them', async () => {
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(require("v8").getHeapSpaceStatistics().length))'], {
      env: { ...process.env, NODE_OPTIONS: flags },
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});
