import { ServiceUnavailableError } from '@malet/errors';
import type { InternalTokenSigner } from '@malet/internal-auth';
import { invalidValue } from '../scim-error';
import { callInternal } from './internal-http';

/**
 * Auth mints user ids. Provisioning asks it for the identity behind an email: an existing account
 * with that email is reused, otherwise auth creates one (and announces `user.created`, from which
 * the users service makes the profile).
 */
export function createAuthClient(options: { authUrl: string; signInternalToken: InternalTokenSigner }) {
  return {
    async provisionIdentity(input: { email: string; organizationId: string; displayName: string | null }): Promise<{ userId: string; created: boolean }> {
      const { status, body } = await callInternal({
        service: 'auth',
        url: `${options.authUrl}/internal/provisioning/identities`,
        body: { email: input.email, organization_id: input.organizationId, display_name: input.displayName ?? undefined },
        signInternalToken: options.signInternalToken,
      });
      if (status === 400) throw invalidValue(`Auth refused the email address: ${String(body.details ?? 'invalid')}`);
      if (status !== 200 || typeof body.user_id !== 'string') {
        throw new ServiceUnavailableError(`Auth refused to provision the identity (${status})`, 'auth:provisioning_failed');
      }
      return { userId: body.user_id, created: body.created === true };
    },
  };
}

export type AuthClient = ReturnType<typeof createAuthClient>;
