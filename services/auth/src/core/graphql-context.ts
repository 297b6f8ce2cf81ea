import DataLoader from 'dataloader';
import type { SubgraphContext } from '@malet/graphql-server';
import { coreErrors } from './errors/core.errors';
import type { IdentityRepository, IdentityRow } from './identities/identity.repository';

/** The auth subgraph's per-request context: the caller, a batching loader of identities, and the features' loaders. */
export interface AuthGraphqlContext extends SubgraphContext {
  identities: DataLoader<string, IdentityRow | null>;
  loaders: RequestLoaders;
}

/**
 * DataLoaders that live for one GraphQL request, one per name: a field asked for many times in a
 * request (`User.sessions` under fifty aliases) is loaded once, and keys asked for together are
 * batched into one query.
 */
export function createRequestLoaders() {
  const loaders = new Map<string, DataLoader<unknown, unknown>>();
  return {
    /** The request's loader called `name`, created with `batch` on first use. */
    get<K, V>(name: string, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
      let loader = loaders.get(name) as DataLoader<K, V> | undefined;
      if (!loader) {
        loader = new DataLoader<K, V>(batch);
        loaders.set(name, loader as DataLoader<unknown, unknown>);
      }
      return loader;
    },
  };
}

export type RequestLoaders = ReturnType<typeof createRequestLoaders>;

export function createIdentityLoader(identities: Pick<IdentityRepository, 'findManyByIds'>) {
  return new DataLoader<string, IdentityRow | null>(async (ids) => {
    const rows = await identities.findManyByIds([...ids]);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id) => byId.get(id) ?? null);
  });
}

/**
 * The signed-in caller of a GraphQL request, or the same failure REST answers for a missing or
 * dead session (401 `auth:invalid_session`; in GraphQL `extensions.code` UNAUTHENTICATED).
 */
export function viewerOrThrow(context: AuthGraphqlContext): { userId: string; sessionId: string | null; roles: string[] } {
  const { userId, sessionId, roles } = context.identity;
  if (!userId) throw coreErrors.invalidSession();
  return { userId, sessionId, roles };
}
