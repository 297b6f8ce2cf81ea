import { INTERNAL_TOKEN_HEADER, type InternalTokenSigner } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';

/** Reads profile fields auth shows in its REST responses (the users service owns them). */
export function createUsersClient(options: { usersUrl: string; signInternalToken: InternalTokenSigner; logger: Logger }) {
  return {
    async findUsername(userId: string): Promise<string | null> {
      try {
        const response = await fetch(`${options.usersUrl}/internal/users/${encodeURIComponent(userId)}`, {
          headers: { [INTERNAL_TOKEN_HEADER]: await options.signInternalToken() },
          signal: AbortSignal.timeout(2_000),
        });
        if (response.status === 404) return null;
        if (!response.ok) throw new Error(`users answered ${response.status}`);
        const body = (await response.json()) as { username?: string };
        return body.username ?? null;
      } catch (error) {
        options.logger.warn({ err: error }, 'could not read username from users');
        return null;
      }
    },
  };
}

export type UsersClient = ReturnType<typeof createUsersClient>;
