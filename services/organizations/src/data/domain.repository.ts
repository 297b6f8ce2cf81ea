import { and, asc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { OrganizationsDb } from './db';
import { domains } from './schema';

export type DomainRow = typeof domains.$inferSelect;

export function createDomainRepository(db: OrganizationsDb) {
  return {
    /** Adds a claim, or returns the organization's existing claim on that domain. */
    async claim(organizationId: string, domain: string, verificationToken: string): Promise<DomainRow> {
      const [inserted] = await db.insert(domains).values({ organizationId, domain, verificationToken }).onConflictDoNothing().returning();
      if (inserted) return inserted;
      const [existing] = await db.select().from(domains).where(and(eq(domains.organizationId, organizationId), eq(domains.domain, domain)));
      return existing!;
    },

    async findById(id: string): Promise<DomainRow | null> {
      if (!isUuid(id)) return null;
      const [row] = await db.select().from(domains).where(eq(domains.id, id)).limit(1);
      return row ?? null;
    },

    async listForOrganizations(organizationIds: string[]): Promise<DomainRow[]> {
      const valid = organizationIds.filter(isUuid);
      if (!valid.length) return [];
      return db.select().from(domains).where(inArray(domains.organizationId, valid)).orderBy(asc(domains.domain));
    },

    async verifiedFor(organizationId: string): Promise<string[]> {
      const rows = await db
        .select({ domain: domains.domain })
        .from(domains)
        .where(and(eq(domains.organizationId, organizationId), isNotNull(domains.verifiedAt)));
      return rows.map((row) => row.domain);
    },

    /** Marks a claim verified; 'taken' when another organization verified the domain first. */
    async markVerified(id: string, now: Date): Promise<DomainRow | 'taken'> {
      try {
        const [row] = await db
          .update(domains)
          .set({ verifiedAt: sql`coalesce(${domains.verifiedAt}, ${now})` })
          .where(eq(domains.id, id))
          .returning();
        return row!;
      } catch (error) {
        const code = (error as { code?: string; cause?: { code?: string } }).code ?? (error as { cause?: { code?: string } }).cause?.code;
        if (code === '23505') return 'taken';
        throw error;
      }
    },

    async remove(id: string): Promise<boolean> {
      return (await db.delete(domains).where(eq(domains.id, id)).returning()).length > 0;
    },

  };
}

export type DomainRepository = ReturnType<typeof createDomainRepository>;
