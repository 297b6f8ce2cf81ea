import { Resolver } from 'node:dns/promises';

export interface TxtResolver {
  /** The TXT strings published at `name` (each record's chunks joined); [] when there are none. */
  resolveTxt(name: string): Promise<string[]>;
}

/** node's resolver, pointed at `servers` (`host:port`, e.g. a local test server) when given, else the system's. */
export function createTxtResolver(options: { servers: string[]; timeoutMs?: number }): TxtResolver {
  const resolver = new Resolver({ timeout: options.timeoutMs ?? 3_000, tries: 2 });
  if (options.servers.length) resolver.setServers(options.servers);
  return {
    async resolveTxt(name) {
      try {
        return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'ESERVFAIL' || code === 'ETIMEOUT' || code === 'ECONNREFUSED') return [];
        throw error;
      }
    },
  };
}
