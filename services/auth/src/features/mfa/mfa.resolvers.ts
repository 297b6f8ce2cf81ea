import { coreErrors } from '../../core/errors/core.errors';
import { viewerOrThrow, type AuthGraphqlContext } from '../../core/graphql-context';
import type { IdentityRow } from '../../core/identities/identity.repository';
import type { MfaService, MfaStatus } from './mfa.service';

/** `User.mfa`: which second factors are enrolled, for the user themselves only. */
export function createMfaResolvers(mfa: Pick<MfaService, 'status'>) {
  return {
    User: {
      async mfa(user: IdentityRow, _args: unknown, context: AuthGraphqlContext) {
        const viewer = viewerOrThrow(context);
        if (viewer.userId !== user.id) throw coreErrors.notYours('second factors');
        // Once per request however often it is asked for (aliases).
        const loader = context.loaders.get<string, MfaStatus>('User.mfa', (userIds) => Promise.all(userIds.map((id) => mfa.status(id))));
        const status = await loader.load(user.id);
        return {
          enabled: status.enabled,
          methods: status.methods,
          totpEnabled: status.totp.enabled,
          smsEnabled: status.sms.enabled,
          smsPhoneHint: status.sms.phone,
          backupCodesRemaining: status.backupCodesRemaining,
        };
      },
    },
  };
}
