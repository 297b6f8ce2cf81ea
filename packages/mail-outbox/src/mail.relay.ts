import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';
import { createPollingWorker, retryDelayMs, type AnyPgDatabase } from '@malet/outbox';
import { mailOutbox } from './mail-outbox.table';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends one message; rejects when the SMTP server refuses it or cannot be reached. */
export type SendMail = (mail: OutgoingMail) => Promise<void>;

/**
 * Queues a message: one insert, no SMTP. Call it inside the transaction that makes the change
 * the mail is about, so the mail exists exactly when the change does; then `relay.wake()`.
 */
export async function enqueueMail(db: AnyPgDatabase, mail: OutgoingMail): Promise<string> {
  const [row] = await db
    .insert(mailOutbox)
    .values({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html ?? null })
    .returning({ id: mailOutbox.id });
  return row!.id;
}

/** SMTP through nodemailer: the sender the relay uses in production. */
export function createSmtpSender(options: { smtpUrl: string; from: string }): SendMail & { close: () => void } {
  const transport = nodemailer.createTransport(options.smtpUrl);
  const send = async (mail: OutgoingMail) => {
    await transport.sendMail({ from: options.from, ...mail });
  };
  return Object.assign(send, { close: () => transport.close() });
}

/**
 * Sends queued mail, at least once, oldest first. Rows are leased rather than locked: a relay
 * marks a batch as its own for `leaseMs` (committed at once), sends outside any transaction,
 * then records the outcome, so no database connection waits on SMTP and a relay that dies
 * mid-send only delays its rows until the lease ends. Replicas share the table safely
 * (`for update skip locked` on the lease). A refused or failed send is retried with backoff;
 * nothing is dropped. The body is never logged (it holds codes and links), only the address, and
 * it is blanked once the message is delivered.
 */
export function createMailRelay(options: {
  db: AnyPgDatabase;
  send: SendMail;
  logger: Logger;
  pollMs?: number;
  batchSize?: number;
  leaseMs?: number;
  retryBaseMs?: number;
}) {
  const batchSize = options.batchSize ?? 20;
  const leaseSeconds = (options.leaseMs ?? 60_000) / 1000;

  async function sendBatch(): Promise<number> {
    const due = options.db
      .select({ id: mailOutbox.id })
      .from(mailOutbox)
      .where(and(isNull(mailOutbox.sentAt), lte(mailOutbox.nextAttemptAt, sql`now()`)))
      .orderBy(asc(mailOutbox.createdAt))
      .limit(batchSize)
      .for('update', { skipLocked: true });
    const leased = await options.db
      .update(mailOutbox)
      .set({ attempts: sql`${mailOutbox.attempts} + 1`, nextAttemptAt: sql`now() + make_interval(secs => ${leaseSeconds})` })
      .where(inArray(mailOutbox.id, due))
      .returning();
    for (const row of leased) {
      try {
        await options.send({ to: row.to, subject: row.subject, text: row.text, ...(row.html ? { html: row.html } : {}) });
        // The body held a code or a link: once delivered it is not kept at rest.
        await options.db.update(mailOutbox).set({ sentAt: sql`now()`, lastError: null, text: '', html: null }).where(eq(mailOutbox.id, row.id));
        options.logger.info({ to: row.to, subject: row.subject, attempts: row.attempts }, 'email sent');
      } catch (error) {
        const delayMs = retryDelayMs(row.attempts, { baseMs: options.retryBaseMs ?? 1_000 });
        options.logger.warn({ err: error, to: row.to, attempts: row.attempts }, 'email not sent; will retry');
        await options.db
          .update(mailOutbox)
          .set({ lastError: String((error as Error).message ?? error).slice(0, 500), nextAttemptAt: sql`now() + make_interval(secs => ${delayMs / 1000})` })
          .where(eq(mailOutbox.id, row.id));
      }
    }
    return leased.length;
  }

  return createPollingWorker({ name: 'mail relay', pass: sendBatch, batchSize, pollMs: options.pollMs ?? 1_000, logger: options.logger });
}

export type MailRelay = ReturnType<typeof createMailRelay>;
