import type pg from 'pg';

/**
 * Server-side prepared statements for the statements a connection runs again and again.
 *
 * drizzle sends every statement as an unnamed one, so PostgreSQL parses and plans it each time.
 * A service runs a few dozen statement texts over and over (a password sign-in is five), and a
 * named statement is parsed once per connection: afterwards only its parameters travel. On a
 * password sign-in (`pnpm bench passwords`) PostgreSQL's CPU went from 2.2 to 1.4 ms.
 *
 * Each connection names the parameterised texts it runs (`malet_<n>`), at most `capacity` of
 * them; the least recently used is deallocated to make room, so a service that builds texts
 * dynamically (lists of varying length) cannot grow a backend's memory without bound.
 * Texts without parameters (DDL, migrations, `select 1`) stay unnamed, and a statement that
 * already has a name (a drizzle `.prepare(name)` query) keeps it. When a column's type
 * changes under a running process, PostgreSQL refuses the next run of a statement that reads it
 * (`cached plan must not change result type`) and re-plans it for the run after.
 *
 * A pooler between the service and PostgreSQL must keep named statements per client: session
 * pooling does; PgBouncer's transaction pooling needs `max_prepared_statements` (1.21 and later).
 * `capacity: 0` turns this off.
 */
export function prepareRepeatedStatements(client: pg.ClientBase, capacity: number): void {
  if (capacity <= 0) return;
  const names = new Map<string, string>();
  let counter = 0;
  const connection = (client as unknown as { connection?: { parsedStatements?: Record<string, string> } }).connection;
  const send = (...args: unknown[]) => (Object.getPrototypeOf(client) as { query: (...sent: unknown[]) => unknown }).query.apply(client, args);

  const forget = (text: string) => {
    const name = names.get(text);
    if (name === undefined) return;
    names.delete(text);
    delete connection?.parsedStatements?.[name];
    // Queued behind what is running; a failure (an aborted transaction) leaves one statement on
    // the server until the connection closes, and nothing else.
    (send(`deallocate ${name}`) as Promise<unknown>).catch(() => undefined);
  };

  const nameFor = (text: string): string => {
    const known = names.get(text);
    if (known !== undefined) {
      names.delete(text);
      names.set(text, known);
      return known;
    }
    if (names.size >= capacity) forget(names.keys().next().value!);
    const name = `malet_${counter++}`;
    names.set(text, name);
    return name;
  };

  client.query = function queryPrepared(...args: unknown[]): unknown {
    const [first, second] = args;
    // Plain query configs only: a submittable (a cursor, a stream) keeps its own prototype.
    const plain = typeof first === 'object' && first !== null && Object.getPrototypeOf(first) === Object.prototype;
    const config: Partial<pg.QueryConfig> | undefined = typeof first === 'string' ? { text: first, values: second as unknown[] | undefined } : plain ? (first as pg.QueryConfig) : undefined;
    const values = Array.isArray(second) ? second : config?.values;
    if (!config || typeof config.text !== 'string' || config.name !== undefined || !Array.isArray(values) || values.length === 0) return send(...args);
    const named = { ...config, name: nameFor(config.text) };
    const rest = typeof first === 'string' ? args.slice(2) : args.slice(1);
    return send(named, ...rest);
  } as typeof client.query;
}
