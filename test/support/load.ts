import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** One kind of request of the mix: what it is called, and how to make and judge one. */
export interface LoadOperation {
  name: string;
  run: (n: number) => Promise<LoadOutcome>;
}

export interface LoadOutcome {
  /** HTTP status (0 when the connection failed). */
  status: number;
  /** The error code the client was given (`extensions.code` or REST `code`), if any. */
  code?: string;
  ok: boolean;
  /** For GraphQL: whether any user data came back (a fail-closed answer has none). */
  servedData?: boolean;
}

export interface LoadRecord extends LoadOutcome {
  op: string;
  /** When the request was sent and when its answer was complete (epoch ms). */
  startedAt: number;
  at: number;
  ms: number;
}

/**
 * Drives a mix of operations against the suite from `workers` concurrent loops, each taking the
 * next operation in turn, optionally paced to `ratePerSecond` in total. Every request is
 * recorded (outcome and time), so a test can judge exactly what clients saw during a fault.
 */
export function startLoad(options: { operations: LoadOperation[]; workers: number; ratePerSecond?: number }) {
  const records: LoadRecord[] = [];
  let stopped = false;
  let counter = 0;
  const interval = options.ratePerSecond ? 1000 / options.ratePerSecond : 0;
  let nextSlot = Date.now();

  const worker = async () => {
    while (!stopped) {
      if (interval > 0) {
        const slot = nextSlot;
        nextSlot = Math.max(nextSlot + interval, Date.now());
        if (slot > Date.now()) await sleep(slot - Date.now());
        if (stopped) break;
      }
      const n = counter++;
      const operation = options.operations[n % options.operations.length]!;
      const started = performance.now();
      const startedAt = Date.now();
      let outcome: LoadOutcome;
      try {
        outcome = await operation.run(n);
      } catch (error) {
        outcome = { status: 0, ok: false, code: (error as Error).name };
      }
      records.push({ ...outcome, op: operation.name, startedAt, at: Date.now(), ms: performance.now() - started });
    }
  };
  const running = Promise.all(Array.from({ length: options.workers }, worker));

  return {
    records,
    /** Waits until at least `count` more requests have finished (proof the load is flowing). */
    async waitForRequests(count: number, timeoutMs = 60_000): Promise<void> {
      const target = records.length + count;
      const deadline = Date.now() + timeoutMs;
      while (records.length < target) {
        if (Date.now() > deadline) throw new Error(`load stalled: ${records.length}/${target} requests`);
        await sleep(20);
      }
    },
    async stop(): Promise<LoadRecord[]> {
      stopped = true;
      await running;
      return records;
    },
  };
}

/** The records of requests sent and answered within [from, to): wholly inside a phase of a test. */
export function recordsBetween(records: LoadRecord[], from: number, to = Number.POSITIVE_INFINITY): LoadRecord[] {
  return records.filter((record) => record.startedAt >= from && record.at < to);
}

/** Counts of `op status code` among records, for failure messages that show what happened. */
export function summarize(records: LoadRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) {
    const key = `${record.op} ${record.status}${record.code ? ` ${record.code}` : ''}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function readJson(response: Response): Promise<Record<string, unknown>> {
  try {
    return (await response.json()) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A fresh address per call, unique across runs. */
export function uniqueEmail(prefix: string, n: number): string {
  return `${prefix}-${n}-${randomBytes(4).toString('hex')}@example.com`;
}

/** A made-up client address per request, as many browsers behind the gateway would have. */
function clientIp(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/**
 * The operations a client mix is made of, all through a gateway: password sign-up (each one a
 * `user.created` outbox event), password sign-in, GraphQL `me` across subgraphs, a feed.
 */
export function clientOperations(options: { gatewayUrl: string | (() => string); token: string; password?: string }) {
  const base = typeof options.gatewayUrl === 'string' ? () => options.gatewayUrl as string : options.gatewayUrl;
  const password = options.password ?? 'load-test-passphrase-7431';
  const signedUp: string[] = [];

  const signUp: LoadOperation = {
    name: 'sign-up',
    async run(n) {
      const email = uniqueEmail('load', n);
      const response = await fetch(`${base()}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp(n) },
        body: JSON.stringify({ email, password }),
      });
      const body = await readJson(response);
      if (response.status === 201) {
        signedUp.push(email);
        notSignedIn.push(email);
      }
      return { status: response.status, ok: response.status === 201, code: body.code as string | undefined };
    },
  };
  // Each account signs in once: the per-account limit (10 per 10 minutes) is not what is tested.
  const notSignedIn: string[] = [];
  const signIn: LoadOperation = {
    name: 'sign-in',
    async run(n) {
      const email = notSignedIn.shift();
      if (!email) return { status: 0, ok: true, code: 'skipped' };
      const response = await fetch(`${base()}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': clientIp(n) },
        body: JSON.stringify({ email, password }),
      });
      const body = await readJson(response);
      return { status: response.status, ok: response.status === 200, code: body.code as string | undefined };
    },
  };
  const graphqlMe: LoadOperation = {
    name: 'graphql-me',
    async run() {
      const response = await fetch(`${base()}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ query: '{ me { id email username organizations { slug } malets { handle } } }' }),
      });
      const body = (await readJson(response)) as { errors?: { extensions?: { code?: string } }[]; data?: { me?: unknown } };
      const code = body.errors?.[0]?.extensions?.code;
      const servedData = !!body.data?.me;
      return { status: response.status, ok: response.status === 200 && !body.errors && servedData, servedData, ...(code ? { code } : {}) };
    },
  };
  const feed: LoadOperation = {
    name: 'feed',
    async run() {
      const response = await fetch(`${base()}/sitemap.xml`);
      if (response.status === 200) {
        await response.arrayBuffer();
        return { status: 200, ok: true };
      }
      // Feed errors come as JSON from the gateway, as XML (`<error><code>`) from content-feed.
      const text = await response.text();
      const code = /<code>([^<]+)<\/code>/.exec(text)?.[1] ?? (/"code":"([^"]+)"/.exec(text)?.[1]);
      return { status: response.status, ok: false, ...(code ? { code } : {}) };
    },
  };
  return { signUp, signIn, graphqlMe, feed, signedUp };
}
