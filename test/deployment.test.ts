import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { configKeys, loadConfig, type z } from '@malet/config';
import { GATEWAY, SERVICES, databaseName, type ServiceName } from '@malet/service-registry';
import { authEnvSchema } from '../services/auth/src/config';
import { usersEnvSchema } from '../services/users/src/config';
import { organizationsEnvSchema } from '../services/organizations/src/config';
import { contentFeedEnvSchema } from '../services/content-feed/src/config';
import { scimEnvSchema } from '../services/scim/src/config';
import { gatewayEnvSchema } from '../gateway/src/config';

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

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment?: Record<string, string | number>; build?: { args?: { SERVICE_DIR?: string } } }>;
  };

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
    const accepted = configKeys(schemas[name]!);
    expect(Object.keys(environment).filter((key) => !accepted.includes(key))).toEqual([]);
    expect(environment.NODE_ENV).toBe('production');
    expect(() => loadConfig(schemas[name]!, environment)).not.toThrow();
  });
});

describe('infra/k8s manifests', () => {
  it.each([...SERVICES, GATEWAY].map((entry) => [entry.name, entry] as const))('%s: container and Service use its registry port', (name, entry) => {
    const documents = parseAllDocuments(readFileSync(join(root, 'infra/k8s', `${name}.yaml`), 'utf8')).map((doc) => doc.toJS());
    const deployment = documents.find((doc) => doc.kind === 'Deployment');
    const service = documents.find((doc) => doc.kind === 'Service');
    expect(deployment.spec.template.spec.containers[0].ports[0].containerPort).toBe(entry.port);
    expect(service.spec.ports[0].port).toBe(entry.port);
  });

  it('points the gateway at every service by its Kubernetes Service name and registry port', () => {
    const documents = parseAllDocuments(readFileSync(join(root, 'infra/k8s/gateway.yaml'), 'utf8')).map((doc) => doc.toJS());
    const env = documents.find((doc) => doc.kind === 'Deployment').spec.template.spec.containers[0].env as { name: string; value?: string }[];
    for (const service of SERVICES) expect(env.find((entry) => entry.name === service.urlEnv)?.value).toBe(`http://${service.name}:${service.port}`);
  });

  it.each(processNames)('%s: every container variable is one its config schema accepts', (name) => {
    const documents = parseAllDocuments(readFileSync(join(root, 'infra/k8s', `${name}.yaml`), 'utf8')).map((doc) => doc.toJS());
    const deployment = documents.find((doc) => doc.kind === 'Deployment');
    const env = deployment.spec.template.spec.containers[0].env as { name: string }[];
    const accepted = configKeys(schemas[name]!);
    expect(env.map((entry) => entry.name).filter((key) => !accepted.includes(key))).toEqual([]);
    expect(deployment.spec.template.spec.containers[0].readinessProbe.httpGet.path).toBe('/ready');
  });
});
