import { z } from 'zod';
import { ValidationError } from '@malet/errors';

/** A position in a newest-first list: the sort timestamp and the id that breaks ties. */
export interface Position {
  at: Date;
  id: string;
}

const encoded = z.tuple([z.iso.datetime({ offset: true }), z.uuid()]);

/** Cursors are opaque to clients: base64url of the position, checked strictly when read back. */
export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify([position.at.toISOString(), position.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position {
  try {
    const [at, id] = encoded.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at: new Date(at), id };
  } catch {
    throw new ValidationError('Invalid cursor', ['after'], 'request:invalid_cursor');
  }
}
