import { callInternalApi, type InternalTokenSigner } from '@malet/internal-auth';
import type { Logger } from '@malet/logging';

/** Reads profile fields auth shows in its REST responses (the users service owns them). */
export function createUsersClient(options: { usersUrl: string; signInternalToken: InternalTokenSigner; logger: Logger }) {
  return {
    /** The user's username; null when users has none, does not know the user, or cannot be asked (logged). */
    async findUsername(userId: string): Promise<string | null> {
      try {
        const answer = await callInternalApi({
          url: `${options.usersUrl}/internal/users/${encodeURIComponent(userId)}`,
          signInternalToken: options.signInternalToken,
          timeoutMs: 2_000,
        });
        if (answer.status === 404) return null;
        if (!answer.ok) throw new Error(`users answered ${answer.status}`);
        if (typeof answer.body !== 'object' || answer.body === null) throw new Error('users answered no JSON object');
        const { username } = answer.body as { username?: string };
        return username ?? null;
      } catch (error) {
        options.logger.warn({ err: error }, 'could not read username from users');
        return null;
      }
    },
  };
}

export type UsersClient = ReturnType<typeof createUsersClient>;
