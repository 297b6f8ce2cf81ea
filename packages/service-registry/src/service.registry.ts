import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** One process of the suite behind the gateway. */
export interface ServiceEntry {
  /** The process name: log file, metrics label, subgraph name, Kubernetes and compose service. */
  readonly name: string;
  /** The seed's port, used by `pnpm dev` and as the default everywhere else. */
  readonly port: number;
  /** Workspace folder from the repository root; its entry point is `src/main.ts`. */
  readonly workspace: string;
  /** Whether the supergraph is composed from its `src/schema.graphql`. */
  readonly subgraph: boolean;
  /** The gateway's variable naming where this service is (`USERS_URL`). */
  readonly urlEnv: string;
  /** Services besides the gateway that call its internal endpoints (events, provisioning, token checks). */
  readonly internalCallers: readonly string[];
}

/**
 * Every service, in one place: `pnpm dev`, the test support, the gateway (its subgraphs and
 * service URLs), the composition script and the deployment checks all read this list. Adding a
 * service means adding it here; everything that must know about it then fails until it does.
 */
export const SERVICES = [
  { name: 'auth', port: 3008, workspace: 'services/auth', subgraph: true, urlEnv: 'AUTH_URL', internalCallers: ['scim'] },
  { name: 'users', port: 3010, workspace: 'services/users', subgraph: true, urlEnv: 'USERS_URL', internalCallers: ['auth'] },
  { name: 'organizations', port: 3011, workspace: 'services/organizations', subgraph: true, urlEnv: 'ORGANIZATIONS_URL', internalCallers: ['scim'] },
  { name: 'content-feed', port: 3012, workspace: 'services/content-feed', subgraph: true, urlEnv: 'CONTENT_FEED_URL', internalCallers: [] },
  { name: 'scim', port: 3019, workspace: 'services/scim', subgraph: false, urlEnv: 'SCIM_URL', internalCallers: [] },
] as const satisfies readonly ServiceEntry[];

/** The gateway in front of them (it has no URL variable of its own). */
export const GATEWAY = { name: 'gateway', port: 30000, workspace: 'gateway' } as const;

export type Service = (typeof SERVICES)[number];
export type ServiceName = Service['name'];
export type ServiceUrlEnv = Service['urlEnv'];
export type Subgraph = Extract<Service, { subgraph: true }>;

export const SUBGRAPH_SERVICES = SERVICES.filter((service): service is Subgraph => service.subgraph);

/** Where a process listens under `pnpm dev`: the seed's port on loopback. */
export function devUrl(entry: { port: number }): string {
  return `http://127.0.0.1:${entry.port}`;
}

/** The service's own database on a shared server (`malet_content_feed`). */
export function databaseName(service: Pick<ServiceEntry, 'name'>): string {
  return `malet_${service.name.replace(/-/g, '_')}`;
}

/** The subgraph contract, relative to the repository root. */
export function subgraphSchemaPath(service: Pick<ServiceEntry, 'workspace'>): string {
  return join(service.workspace, 'src/schema.graphql');
}

export class MissingEntryPointError extends Error {
  constructor(readonly process: string, readonly path: string) {
    super(`${process}: its entry point ${path} does not exist (the service registry lists it; remove it there or restore the file)`);
    this.name = 'MissingEntryPointError';
  }
}

/**
 * The absolute path of a process's `src/main.ts`. A listed process without one is an error,
 * never a silent skip: a suite that quietly starts four services of five tests nothing.
 */
export function entryPoint(root: string, entry: { name: string; workspace: string }): string {
  const path = join(root, entry.workspace, 'src/main.ts');
  if (!existsSync(path)) throw new MissingEntryPointError(entry.name, join(entry.workspace, 'src/main.ts'));
  return path;
}
