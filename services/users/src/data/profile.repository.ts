import { eq, inArray, sql } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { AnyPgDatabase } from '@malet/outbox';
import type { UsersDb } from './db';
import { profiles } from './schema';

export type ProfileRow = typeof profiles.$inferSelect;

export function createProfileRepository(db: UsersDb) {
  return {
    async findById(id: string): Promise<ProfileRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(profiles).where(eq(profiles.id, id)).limit(1);
      return row ?? null;
    },

    async findManyByIds(ids: string[]): Promise<ProfileRow[]> {
      const valid = ids.filter(isUuid);
      return valid.length ? db.select().from(profiles).where(inArray(profiles.id, valid)) : [];
    },

    async findByUsername(username: string): Promise<ProfileRow | null> {
      const [row] = await db.select().from(profiles).where(eq(profiles.username, username.toLowerCase())).limit(1);
      return row ?? null;
    },

    /** Inserts unless the id or the username exists; returns whether this call inserted it. */
    async insertIfFree(tx: AnyPgDatabase, input: { id: string; username: string; displayName: string | null }): Promise<boolean> {
      const rows = await tx.insert(profiles).values(input).onConflictDoNothing().returning({ id: profiles.id });
      return rows.length > 0;
    },

    async exists(tx: AnyPgDatabase, id: string): Promise<boolean> {
      const rows = await tx.select({ id: profiles.id }).from(profiles).where(eq(profiles.id, id)).limit(1);
      return rows.length > 0;
    },

    /** Inside a consumer's transaction: sets the display name of an existing profile. */
    async setDisplayName(tx: AnyPgDatabase, id: string, displayName: string): Promise<void> {
      await tx.update(profiles).set({ displayName, updatedAt: sql`now()` }).where(eq(profiles.id, id));
    },

    async updateDisplayName(id: string, displayName: string | null): Promise<ProfileRow | null> {
      const [row] = await db
        .update(profiles)
        .set({ displayName, updatedAt: sql`now()` })
        .where(eq(profiles.id, id))
        .returning();
      return row ?? null;
    },
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;
