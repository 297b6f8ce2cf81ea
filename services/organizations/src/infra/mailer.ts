import nodemailer from 'nodemailer';
import type { Logger } from '@malet/logging';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
}

/** SMTP through nodemailer: the mail catcher in dev, a real relay in production. The body (with its token) is never logged. */
export function createSmtpMailer(options: { smtpUrl: string; from: string; logger: Logger }): Mailer & { close(): void } {
  const transport = nodemailer.createTransport(options.smtpUrl);
  return {
    async send(mail) {
      await transport.sendMail({ from: options.from, ...mail });
      options.logger.info({ to: mail.to, subject: mail.subject }, 'email sent');
    },
    close: () => transport.close(),
  };
}
