import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import type { AuthDb } from '../../core/db';
import { mobileIdTokenNonces, oauthFlows, oauthPendingLinks } from './social.tables';

export type OAuthFlowRow = typeof oauthFlows.$inferSelect;
export type PendingLinkRow = typeof oauthPendingLinks.$inferSelect;

/** The only file that touches social sign-in's own tables. Every consumption is one conditional UPDATE: one winner. */
export function createSocialRepository(db: AuthDb) {
  return {
    async insertFlow(flow: typeof oauthFlows.$inferInsert): Promise<void> {
      await db.insert(oauthFlows).values({ ...flow, userAgent: flow.userAgent?.slice(0, 512) ?? null });
    },

    /**
     * Consumes the live flow with this state for this provider, when the caller also holds its
     * browser binding; null otherwise (and nothing is consumed).
     */
    async consumeFlow(input: { provider: string; stateHash: string; bindingHash: string; now: Date }): Promise<OAuthFlowRow | null> {
      const [row] = await db
        .update(oauthFlows)
        .set({ consumedAt: input.now })
        .where(
          and(
            eq(oauthFlows.stateHash, input.stateHash),
            eq(oauthFlows.bindingHash, input.bindingHash),
            eq(oauthFlows.provider, input.provider),
            isNull(oauthFlows.consumedAt),
            gt(oauthFlows.expiresAt, input.now),
          ),
        )
        .returning();
      return row ?? null;
    },

    async insertPendingLink(link: typeof oauthPendingLinks.$inferInsert): Promise<void> {
      await db.insert(oauthPendingLinks).values(link);
    },

    /** Consumes a live pending link made for `accountId`; a link for another account is left alone. */
    async consumePendingLink(input: { tokenHash: string; accountId: string; now: Date }): Promise<PendingLinkRow | null> {
      const [row] = await db
        .update(oauthPendingLinks)
        .set({ consumedAt: input.now })
        .where(
          and(
            eq(oauthPendingLinks.tokenHash, input.tokenHash),
            eq(oauthPendingLinks.accountId, input.accountId),
            isNull(oauthPendingLinks.consumedAt),
            gt(oauthPendingLinks.expiresAt, input.now),
          ),
        )
        .returning();
      return row ?? null;
    },

    /** Records a mobile ID token's nonce; false when it was recorded before (a replay). */
    async recordNonce(input: { provider: string; nonceHash: string; expiresAt: Date }): Promise<boolean> {
      const rows = await db.insert(mobileIdTokenNonces).values(input).onConflictDoNothing().returning({ provider: mobileIdTokenNonces.provider });
      return rows.length > 0;
    },

    /** Deletes flows, pending links and nonces that expired before `before`; returns how many. */
    async purgeExpired(before: Date, batch = 1000): Promise<number> {
      const flows = await db
        .delete(oauthFlows)
        .where(inArray(oauthFlows.id, db.select({ id: oauthFlows.id }).from(oauthFlows).where(lt(oauthFlows.expiresAt, before)).limit(batch)))
        .returning({ id: oauthFlows.id });
      const links = await db
        .delete(oauthPendingLinks)
        .where(inArray(oauthPendingLinks.id, db.select({ id: oauthPendingLinks.id }).from(oauthPendingLinks).where(lt(oauthPendingLinks.expiresAt, before)).limit(batch)))
        .returning({ id: oauthPendingLinks.id });
      const nonces = await db.delete(mobileIdTokenNonces).where(lt(mobileIdTokenNonces.expiresAt, before)).returning({ provider: mobileIdTokenNonces.provider });
      return flows.length + links.length + nonces.length;
    },
  };
}

export type SocialRepository = ReturnType<typeof createSocialRepository>;
