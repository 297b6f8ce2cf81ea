import { asc, count, eq, inArray, sql } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { ContentFeedDb } from './db';
import { isUniqueViolation } from './pg-errors';
import { feedState, malets } from './schema';

export type MaletRow = typeof malets.$inferSelect;

/**
 * Strictly increasing per Malet, even for two changes in the same millisecond, so every change
 * yields a new feed ETag. The wall clock (not the transaction's start time) keeps the gap
 * between the stamp and the commit that makes it visible as small as possible.
 */
export const nextContentChange = sql`greatest(clock_timestamp(), ${malets.contentChangedAt} + interval '1 millisecond')`;

export function createMaletRepository(db: ContentFeedDb) {
  return {
    async findByHandle(handle: string): Promise<MaletRow | null> {
      const [row] = await db.select().from(malets).where(eq(malets.handle, handle)).limit(1);
      return row ?? null;
    },

    async findById(id: string): Promise<MaletRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(malets).where(eq(malets.id, id)).limit(1);
      return row ?? null;
    },

    async findManyByIds(ids: readonly string[]): Promise<MaletRow[]> {
      const valid = ids.filter(isUuid);
      return valid.length ? db.select().from(malets).where(inArray(malets.id, valid)) : [];
    },

    /** Every Malet of each owner, oldest first. */
    async listByOwners(ownerIds: readonly string[]): Promise<MaletRow[]> {
      const valid = ownerIds.filter(isUuid);
      if (!valid.length) return [];
      return db.select().from(malets).where(inArray(malets.ownerId, valid)).orderBy(asc(malets.seq));
    },

    async countByOwner(ownerId: string): Promise<number> {
      const [row] = await db.select({ value: count() }).from(malets).where(eq(malets.ownerId, ownerId));
      return row?.value ?? 0;
    },

    /** Null when the handle is taken. */
    async insert(input: { handle: string; name: string; description: string | null; ownerId: string }): Promise<MaletRow | null> {
      const [row] = await db.insert(malets).values(input).onConflictDoNothing({ target: malets.handle }).returning();
      return row ?? null;
    },

    /** Null when the Malet is gone; `'handle_taken'` when the new handle belongs to another Malet. */
    async update(
      id: string,
      patch: { handle?: string; name?: string; description?: string | null },
    ): Promise<MaletRow | 'handle_taken' | null> {
      try {
        const [row] = await db
          .update(malets)
          .set({ ...patch, updatedAt: sql`now()`, contentChangedAt: nextContentChange })
          .where(eq(malets.id, id))
          .returning();
        return row ?? null;
      } catch (error) {
        if (isUniqueViolation(error)) return 'handle_taken';
        throw error;
      }
    },

    /** Deletes the Malet and, by cascade, its posts; records the removal for feed validators. */
    async delete(id: string): Promise<boolean> {
      return db.transaction(async (tx) => {
        const deleted = await tx.delete(malets).where(eq(malets.id, id)).returning({ id: malets.id });
        if (!deleted.length) return false;
        await tx
          .insert(feedState)
          .values({ id: 1, lastRemovalAt: sql`clock_timestamp()` })
          .onConflictDoUpdate({ target: feedState.id, set: { lastRemovalAt: sql`greatest(clock_timestamp(), ${feedState.lastRemovalAt} + interval '1 millisecond')` } });
        return true;
      });
    },
  };
}

export type MaletRepository = ReturnType<typeof createMaletRepository>;
