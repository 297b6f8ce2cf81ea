import DataLoader from 'dataloader';
import type { SubgraphContext } from '@malet/graphql-server';
import { coreErrors } from './errors/core.errors';
import type { IdentityRepository, IdentityRow } from './identities/identity.repository';

/** The auth subgraph's per-request context: the caller and a batching loader of identities. */
export interface AuthGraphqlContext extends SubgraphContext {
  identities: DataLoader<string, IdentityRow | null>;
}

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
