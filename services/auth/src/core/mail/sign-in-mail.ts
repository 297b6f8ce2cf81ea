import type { AuditLog } from '../audit/audit-log';
import type { IdentityRepository } from '../identities/identity.repository';
import type { RequestMeta } from '../http/request-meta';
import { coreErrors } from '../errors/core.errors';
import type { Mailer, OutgoingMail } from './mailer';

/**
 * Mails a sign-in code or link and audits the attempt, the same way for every address: a known
 * and an unknown email cost the same look-up, so neither timing nor the answer tells them apart.
 * Mail is queued (see mailer.ts), so SMTP being down costs nothing here; a mail that cannot even
 * be queued is audited and answered as 503 `mail:unavailable`.
 */
export function createSignInMailer(deps: { mailer: Mailer; audit: AuditLog; identities: Pick<IdentityRepository, 'findByEmail'> }) {
  return async function sendSignInMail(input: { email: string; meta: RequestMeta; mail: Omit<OutgoingMail, 'to'>; auditType: string; method: string }): Promise<void> {
    const audited = { type: input.auditType, method: input.method, ...input.meta };
    try {
      await deps.mailer.send({ to: input.email, ...input.mail });
    } catch (error) {
      await deps.audit.record({ ...audited, outcome: 'failure', details: { email: input.email, reason: 'mail_failed' } });
      throw Object.assign(coreErrors.mailUnavailable(), { cause: error });
    }
    const userId = (await deps.identities.findByEmail(input.email))?.id ?? null;
    await deps.audit.record({ ...audited, outcome: 'success', userId, details: { email: input.email } });
  };
}

export type SendSignInMail = ReturnType<typeof createSignInMailer>;
