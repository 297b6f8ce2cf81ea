import { and, desc, eq, isNull, lt, or } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { OrganizationsDb } from './db';
import { scimTokens } from './schema';

export type ScimTokenRow = typeof scimTokens.$inferSelect;

export function createScimTokenRepository(db: OrganizationsDb) {
  return {
    async insert(values: { organizationId: string; name: string; tokenHash: string; createdBy: string }): Promise<ScimTokenRow> {
      const [row] = await db.insert(scimTokens).values(values).returning();
      return row!;
    },

    async findById(id: string): Promise<ScimTokenRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(scimTokens).where(eq(scimTokens.id, id)).limit(1);
      return row ?? null;
    },

    async listForOrganization(organizationId: string): Promise<ScimTokenRow[]> {
      return db.select().from(scimTokens).where(eq(scimTokens.organizationId, organizationId)).orderBy(desc(scimTokens.createdAt));
    },

    async findLiveByHash(tokenHash: string): Promise<ScimTokenRow | null> {
      const [row] = await db
        .select()
        .from(scimTokens)
        .where(and(eq(scimTokens.tokenHash, tokenHash), isNull(scimTokens.revokedAt)))
        .limit(1);
      return row ?? null;
    },

    /** Records use at most once a minute per token, so a busy IdP does not write on every request. */
    async touch(id: string, now: Date): Promise<void> {
      const aMinuteAgo = new Date(now.getTime() - 60_000);
      await db
        .update(scimTokens)
        .set({ lastUsedAt: now })
        .where(and(eq(scimTokens.id, id), or(isNull(scimTokens.lastUsedAt), lt(scimTokens.lastUsedAt, aMinuteAgo))));
    },

    async revoke(id: string, now: Date): Promise<ScimTokenRow | null> {
      const [row] = await db.update(scimTokens).set({ revokedAt: now }).where(and(eq(scimTokens.id, id), isNull(scimTokens.revokedAt))).returning();
      return row ?? (await this.findById(id));
    },
  };
}

export type ScimTokenRepository = ReturnType<typeof createScimTokenRepository>;
