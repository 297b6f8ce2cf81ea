import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { waitFor } from './net';

export interface CaughtMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  parsed: ParsedMail;
}

/**
 * A real SMTP server (smtp-server) on a free loopback port that parses every message it
 * receives (mailparser): tests read codes and links out of the email itself.
 */
export async function startSmtpCatcher(options: { port?: number } = {}) {
  const messages: CaughtMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const addresses = (Array.isArray(parsed.to) ? parsed.to : parsed.to ? [parsed.to] : []).flatMap((to) =>
            to.value.map((entry) => (entry.address ?? '').toLowerCase()),
          );
          messages.push({
            to: addresses,
            from: parsed.from?.value[0]?.address ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            parsed,
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  // A given port brings a server back where clients expect it (tests of SMTP outages).
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages,
    /** The newest message to `address` matching `predicate`, waiting up to `timeoutMs`. */
    async waitForMail(address: string, predicate: (mail: CaughtMail) => boolean = () => true, timeoutMs = 10_000) {
      return waitFor(
        () => [...messages].reverse().find((mail) => mail.to.includes(address.toLowerCase()) && predicate(mail)),
        { timeoutMs, what: `an email to ${address}` },
      );
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpCatcher = Awaited<ReturnType<typeof startSmtpCatcher>>;

/**
 * A catcher, possibly fed by a sender that queues its mail (auth's outbox): such a sender's test
 * harness adds `settledCount`, the number of mails once every queued one has arrived.
 */
export type MailBox = SmtpCatcher & { settledCount?: () => Promise<number> };

/**
 * How many mails a wait for the next one may skip. Counted once the sender's queue has settled,
 * so a late mail from an earlier request is never taken for the one a test is about to ask for.
 */
export function mailBaseline(mail: MailBox): Promise<number> {
  return mail.settledCount ? mail.settledCount() : Promise.resolve(mail.messages.length);
}
