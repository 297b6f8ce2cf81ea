import { and, asc, count, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import { enqueueEvent, type AnyPgDatabase } from '@malet/outbox';
import type { ResourceTypeDefinition } from '../attribute.schema';
import type { Filter } from '../filter.parser';
import type { Json } from '../resource.codec';
import type { ScimDb } from '../db';
import { compileFilter } from './filter.compiler';
import { scimResources } from './resource.tables';

export type ResourceRow = typeof scimResources.$inferSelect;
export type ResourceKind = ResourceRow['resourceType'];

/** Columns a change sets besides the attributes (kept in sync with them for indexed look-ups). */
export interface ResourceColumns {
  attributes: Json;
  externalId: string | null;
  userName?: string | null;
  displayName?: string | null;
  targetId?: string | null;
}

export class UniqueViolation extends Error {
  constructor(readonly constraint: string) {
    super(`unique violation on ${constraint}`);
  }
}

/** The repository's operations inside one transaction: locks, writes and outbox events commit together. */
export interface ResourceStore {
  lock(organizationId: string, kind: ResourceKind, id: string): Promise<ResourceRow | null>;
  insert(organizationId: string, kind: ResourceKind, columns: ResourceColumns): Promise<ResourceRow>;
  update(row: ResourceRow, columns: ResourceColumns): Promise<ResourceRow>;
  remove(row: ResourceRow): Promise<void>;
  usersByIds(organizationId: string, ids: string[]): Promise<ResourceRow[]>;
  /** Groups of the organization with `userId` among their members, locked. */
  lockGroupsWithMember(organizationId: string, userId: string): Promise<ResourceRow[]>;
  /** Writes an outbox event whose payload carries the next provisioning sequence number. */
  announce(topic: string, payload: Json): Promise<void>;
}

const t = scimResources;

function storeFor(tx: AnyPgDatabase): ResourceStore {
  return {
    async lock(organizationId, kind, id) {
      if (!isUuid(id)) return null;
      const [row] = await tx
        .select()
        .from(t)
        .where(and(eq(t.organizationId, organizationId), eq(t.resourceType, kind), eq(t.id, id)))
        .for('update');
      return (row as ResourceRow | undefined) ?? null;
    },
    async insert(organizationId, kind, columns) {
      return translateUniqueViolation(async () => {
        const [row] = await tx
          .insert(t)
          .values({ organizationId, resourceType: kind, ...lowered(columns) })
          .returning();
        return row as ResourceRow;
      });
    },
    async update(row, columns) {
      return translateUniqueViolation(async () => {
        const [updated] = await tx
          .update(t)
          .set({ ...lowered(columns), version: sql`${t.version} + 1`, updatedAt: sql`now()` })
          .where(eq(t.id, row.id))
          .returning();
        return updated as ResourceRow;
      });
    },
    async remove(row) {
      await tx.delete(t).where(eq(t.id, row.id));
    },
    async usersByIds(organizationId, ids) {
      const valid = [...new Set(ids.filter(isUuid))];
      if (!valid.length) return [];
      return (await tx
        .select()
        .from(t)
        .where(and(eq(t.organizationId, organizationId), eq(t.resourceType, 'User'), inArray(t.id, valid)))) as ResourceRow[];
    },
    async lockGroupsWithMember(organizationId, userId) {
      return (await tx
        .select()
        .from(t)
        .where(
          and(
            eq(t.organizationId, organizationId),
            eq(t.resourceType, 'Group'),
            sql`(${t.attributes} -> 'members') @> ${JSON.stringify([{ value: userId }])}::jsonb`,
          ),
        )
        .orderBy(asc(t.id))
        .for('update')) as ResourceRow[];
    },
    async announce(topic, payload) {
      const result = (await tx.execute(sql`select nextval('scim_event_sequence')::text as sequence`)) as { rows: { sequence: string }[] };
      const sequence = Number(result.rows[0]!.sequence);
      await enqueueEvent(tx, topic, { ...payload, sequence });
    },
  };
}

/** userName and displayName are stored lower-cased by the database's own lower(), as filters compare them. */
function lowered(columns: ResourceColumns) {
  return {
    attributes: columns.attributes,
    externalId: columns.externalId,
    ...(columns.userName !== undefined ? { userName: columns.userName === null ? null : sql`lower(${columns.userName}::text)` } : {}),
    ...(columns.displayName !== undefined ? { displayName: columns.displayName === null ? null : sql`lower(${columns.displayName}::text)` } : {}),
    ...(columns.targetId !== undefined ? { targetId: columns.targetId } : {}),
  };
}

async function translateUniqueViolation<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const cause = error as { code?: string; constraint?: string; cause?: { code?: string; constraint?: string } };
    const pgError = cause.code ? cause : cause.cause;
    if (pgError?.code === '23505') throw new UniqueViolation(pgError.constraint ?? 'unknown');
    throw error;
  }
}

export function createResourceRepository(db: ScimDb) {
  const scoped = (organizationId: string, kind: ResourceKind, where: SQL | undefined) =>
    and(eq(t.organizationId, organizationId), eq(t.resourceType, kind), where);

  return {
    async findById(organizationId: string, kind: ResourceKind, id: string): Promise<ResourceRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(t).where(scoped(organizationId, kind, eq(t.id, id))).limit(1);
      return row ?? null;
    },

    /** One page in a stable order (creation time, then id) and the total that matched. */
    async list(
      organizationId: string,
      type: ResourceTypeDefinition,
      options: { filter: Filter | null; startIndex: number; count: number },
    ): Promise<{ rows: ResourceRow[]; total: number }> {
      const where = scoped(organizationId, type.name, options.filter ? compileFilter(type, options.filter) : undefined);
      const [totals] = await db.select({ total: count() }).from(t).where(where);
      const total = totals?.total ?? 0;
      if (options.count === 0 || options.startIndex > total) return { rows: [], total };
      const rows = await db
        .select()
        .from(t)
        .where(where)
        .orderBy(asc(t.createdAt), asc(t.id))
        .offset(options.startIndex - 1)
        .limit(options.count);
      return { rows, total };
    },

    async findUserByUserName(organizationId: string, userName: string): Promise<ResourceRow | null> {
      const [row] = await db
        .select()
        .from(t)
        .where(scoped(organizationId, 'User', sql`${t.userName} = lower(${userName}::text)`))
        .limit(1);
      return row ?? null;
    },

    async findUsersByIds(organizationId: string, ids: string[]): Promise<ResourceRow[]> {
      const valid = [...new Set(ids.filter(isUuid))];
      if (!valid.length) return [];
      return db.select().from(t).where(scoped(organizationId, 'User', inArray(t.id, valid)));
    },

    async findUserByTarget(organizationId: string, targetId: string): Promise<ResourceRow | null> {
      const [row] = await db.select().from(t).where(scoped(organizationId, 'User', eq(t.targetId, targetId))).limit(1);
      return row ?? null;
    },

    /** How many resources of each type all organizations hold together. */
    async countByType(): Promise<{ resources: number; users: number; groups: number }> {
      const rows = await db.select({ type: t.resourceType, n: count() }).from(t).groupBy(t.resourceType);
      const of = (type: ResourceKind) => rows.find((row) => row.type === type)?.n ?? 0;
      return { resources: of('User') + of('Group'), users: of('User'), groups: of('Group') };
    },

    /** Runs `work` in one transaction; everything it writes (rows and outbox events) commits or nothing does. */
    transaction<T>(work: (store: ResourceStore) => Promise<T>): Promise<T> {
      return db.transaction((tx) => work(storeFor(tx)));
    },
  };
}

export type ResourceRepository = ReturnType<typeof createResourceRepository>;
