import { Writable } from 'node:stream';
import { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ServiceUnavailableError } from '@malet/errors';
import { formatGraphQLError } from '../src/format-error';

/** A real pino logger whose lines are kept, parsed, for the test to read. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

/** The one error Apollo Server answers when the resolver of `invite` throws `error`, formatted by ours. */
async function thrownByResolver(logger: ReturnType<typeof recordingLogger>['logger'], error: Error): Promise<GraphQLFormattedError> {
  const server = new ApolloServer({
    typeDefs: 'type Query { invite: String }',
    resolvers: { Query: { invite: () => Promise.reject(error) } },
    formatError: formatGraphQLError(logger),
  });
  await server.start();
  try {
    const { body } = await server.executeOperation({ query: '{ invite }' });
    if (body.kind !== 'single' || body.singleResult.errors?.length !== 1) throw new Error('expected one error');
    return body.singleResult.errors[0]!;
  } finally {
    await server.stop();
  }
}

describe('formatGraphQLError', () => {
  it('logs a 5xx AppError with its cause under the error id the client is given', async () => {
    const { logger, lines } = recordingLogger();
    const cause = new Error('new row for relation "mail_outbox" violates check constraint');
    const formatted = await thrownByResolver(logger, new ServiceUnavailableError('The mail could not be queued', 'mail:unavailable', { cause }));

    expect(formatted).toMatchObject({ message: 'The mail could not be queued', path: ['invite'], extensions: { code: 'SERVICE_UNAVAILABLE', reason: 'mail:unavailable', status: 503 } });
    const errorId = formatted.extensions?.errorId;
    expect(errorId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines).toHaveLength(1);
    // pino's error serialiser writes the cause's message after the error's own.
    expect(lines[0]).toMatchObject({ level: 50, errorId, err: { message: 'The mail could not be queued: new row for relation "mail_outbox" violates check constraint' } });
  });

  it('gives an unexpected error an error id and a log line, and the client neither its message nor its stack', async () => {
    const { logger, lines } = recordingLogger();
    const formatted = await thrownByResolver(logger, new TypeError('secret detail'));

    expect(formatted.message).toBe('Internal server error');
    expect(JSON.stringify(formatted)).not.toContain('secret detail');
    expect(lines).toEqual([expect.objectContaining({ errorId: formatted.extensions?.errorId, err: expect.objectContaining({ message: 'secret detail' }) })]);
  });

  it('logs nothing for a client error, which keeps its message and carries no error id', async () => {
    const { logger, lines } = recordingLogger();
    const formatted = await thrownByResolver(logger, new NotFoundError('No such invitation', 'invitation:not_found'));

    expect(formatted).toEqual({ message: 'No such invitation', locations: [{ line: 1, column: 3 }], path: ['invite'], extensions: { code: 'NOT_FOUND', reason: 'invitation:not_found', status: 404 } });
    expect(lines).toEqual([]);
  });
});
