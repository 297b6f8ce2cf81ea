import { and, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import type { AuthDb } from '../../core/db';
import { siweNonces } from './ethereum.tables';

export function createEthereumRepository(db: AuthDb) {
  return {
    async insertNonce(input: { nonceHash: string; address: string; now: Date; expiresAt: Date }): Promise<void> {
      await db.insert(siweNonces).values({ nonceHash: input.nonceHash, address: input.address, createdAt: input.now, expiresAt: input.expiresAt });
    },

    /** Consumes the live nonce issued for `address`; false when there is none (unknown, used, expired, another address). */
    async consumeNonce(input: { nonceHash: string; address: string; now: Date }): Promise<boolean> {
      const rows = await db
        .update(siweNonces)
        .set({ consumedAt: input.now })
        .where(
          and(
            eq(siweNonces.nonceHash, input.nonceHash),
            eq(siweNonces.address, input.address),
            isNull(siweNonces.consumedAt),
            gt(siweNonces.expiresAt, input.now),
          ),
        )
        .returning({ id: siweNonces.id });
      return rows.length > 0;
    },

    async purgeExpired(before: Date, batch = 1000): Promise<number> {
      const doomed = db.select({ id: siweNonces.id }).from(siweNonces).where(lt(siweNonces.expiresAt, before)).limit(batch);
      const rows = await db.delete(siweNonces).where(inArray(siweNonces.id, doomed)).returning({ id: siweNonces.id });
      return rows.length;
    },
  };
}

export type EthereumRepository = ReturnType<typeof createEthereumRepository>;
