import { GraphQLError } from 'graphql';
import { batchEntityFetches, type EntityFetch, type SubgraphAnswer } from './entity-fetch-batch';

/** The data source options the batcher needs: the request and what it is for. */
interface FetchOptions {
  request: { query?: string; operationName?: string; variables?: Record<string, unknown> };
  context: object;
  pathInIncomingRequest?: readonly (string | number)[] | undefined;
}

interface Waiting<O extends FetchOptions> {
  options: O;
  resolve: (answer: SubgraphAnswer) => void;
  reject: (error: unknown) => void;
}

/**
 * Entity fetches to one subgraph that one client request starts together travel as one HTTP
 * request (see entity-fetch-batch.ts): the query plan executor starts the fetches of a plan
 * level in the same turn of the event loop, so the batcher waits until that turn ends
 * (`setImmediate`) and sends what arrived. Fetches of different client requests are never
 * merged: each carries its own caller's identity.
 *
 * `send` is the data source's own one-request path (internal token, deadline, circuit,
 * metrics). When it fails, every fetch of the batch fails with the same error, placed at its
 * own path in the response (`pathOf`), so the rest of the answer survives as before.
 */
export function createSubgraphBatcher<O extends FetchOptions>(deps: {
  send: (options: O) => Promise<SubgraphAnswer>;
  pathOf: (options: O) => (string | number)[] | undefined;
}) {
  const pending = new WeakMap<object, Waiting<O>[]>();

  async function flush(batch: Waiting<O>[]) {
    const fetches = batch.map((waiting) => waiting.options.request as EntityFetch);
    const merged = batchEntityFetches(fetches);
    const first = batch[0]!.options;
    const options = {
      ...first,
      request: { ...first.request, query: merged.query, operationName: merged.operationName, variables: merged.variables },
      pathInIncomingRequest: undefined,
    } as O;
    let answer: SubgraphAnswer;
    try {
      answer = await deps.send(options);
    } catch (error) {
      for (const waiting of batch) waiting.reject(atPath(error, deps.pathOf(waiting.options)));
      return;
    }
    let answers: SubgraphAnswer[];
    try {
      answers = merged.split(answer);
    } catch (error) {
      for (const waiting of batch) waiting.reject(error);
      return;
    }
    batch.forEach((waiting, index) => waiting.resolve(answers[index]!));
  }

  return function enqueue(options: O): Promise<SubgraphAnswer> {
    return new Promise((resolve, reject) => {
      let batch = pending.get(options.context);
      if (!batch) {
        const started: Waiting<O>[] = [];
        batch = started;
        pending.set(options.context, started);
        setImmediate(() => {
          pending.delete(options.context);
          void flush(started);
        });
      }
      batch.push({ options, resolve, reject });
    });
  };
}

/** The same client-facing error, placed at `path` (a merged request has no path of its own). */
function atPath(error: unknown, path: (string | number)[] | undefined): unknown {
  if (!(error instanceof GraphQLError)) return error;
  return new GraphQLError(error.message, { ...(path && path.length > 0 ? { path } : {}), extensions: error.extensions, originalError: error.originalError ?? undefined });
}
