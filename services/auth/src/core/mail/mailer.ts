import { enqueueMail, type MailRelay } from '@malet/mail-outbox';
import type { AuthDb } from '../db';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/**
 * Auth's mail goes through a queue in its own database (`mail_outbox`), sent to SMTP by a relay
 * with retries: no request waits on the SMTP server, and nothing is lost while it is down. The
 * relay is woken at once, so mail normally leaves within milliseconds.
 */
export function createQueuedMailer(deps: { db: AuthDb; relay: Pick<MailRelay, 'wake'> }): Mailer {
  return {
    async send(mail) {
      await enqueueMail(deps.db, mail);
      deps.relay.wake();
    },
  };
}
