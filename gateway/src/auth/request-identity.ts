import { GraphQLError } from 'graphql';
import { LRUCache } from 'lru-cache';
import { AppError, graphqlCodeForStatus } from '@malet/errors';
import { ANONYMOUS, type InternalTokenSigner } from '@malet/internal-auth';
import { readCredential, type SessionValidator, type ValidatedSession } from '@malet/session-client';

/**
 * Turns a request's credential into the internal token subgraphs trust. Fails closed: a
 * credential that auth rejects is an UNAUTHENTICATED error (the client must drop it), and an
 * unreachable auth is SERVICE_UNAVAILABLE; neither is ever downgraded to anonymous.
 */
export function createRequestIdentity(deps: { validator: SessionValidator; signInternalToken: InternalTokenSigner }) {
  // Internal tokens live 60 s; reusing one for 30 s per session saves signing on hot paths.
  const signed = new LRUCache<string, string>({ max: 50_000, ttl: 30_000 });

  async function tokenFor(session: ValidatedSession | null): Promise<string> {
    const key = session ? session.sessionId : 'anonymous';
    const cached = signed.get(key);
    if (cached) return cached;
    const token = await deps.signInternalToken(
      session
        ? { userId: session.userId, email: session.email, sessionId: session.sessionId, orgId: null, roles: session.roles, amr: session.amr }
        : ANONYMOUS,
    );
    signed.set(key, token);
    return token;
  }

  return {
    async internalTokenFor(headers: { authorization?: string | undefined; cookie?: string | undefined }): Promise<string> {
      const credential = readCredential(headers);
      if (!credential) {
        if (headers.authorization) throw unauthenticated('Malformed Authorization header');
        return tokenFor(null);
      }
      let session: ValidatedSession | null;
      try {
        session = await deps.validator.validate(credential);
      } catch (error) {
        if (error instanceof AppError) {
          throw new GraphQLError(error.message, {
            extensions: { code: graphqlCodeForStatus(error.status), reason: error.code, http: { status: error.status } },
          });
        }
        throw error;
      }
      if (!session) throw unauthenticated('Session invalid or expired');
      return tokenFor(session);
    },
  };
}

function unauthenticated(message: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'UNAUTHENTICATED', reason: 'auth:invalid_session', http: { status: 401 } },
  });
}
