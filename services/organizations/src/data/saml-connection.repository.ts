import { and, eq, isNotNull } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { OrganizationsDb } from './db';
import { domains, samlConnections } from './schema';

export type SamlConnectionRow = typeof samlConnections.$inferSelect;
export type SamlConnectionSettings = Pick<SamlConnectionRow, 'idpEntityId' | 'ssoUrl' | 'certificates' | 'allowIdpInitiated'>;

export function createSamlConnectionRepository(db: OrganizationsDb) {
  return {
    async findByOrganization(organizationId: string): Promise<SamlConnectionRow | null> {
      if (!isUuid(organizationId)) return null;
      const [row] = await db.select().from(samlConnections).where(eq(samlConnections.organizationId, organizationId)).limit(1);
      return row ?? null;
    },

    /** Creates the organization's connection or replaces its settings (the id stays). */
    async upsert(input: { organizationId: string; createdBy: string } & SamlConnectionSettings): Promise<SamlConnectionRow> {
      const settings = { idpEntityId: input.idpEntityId, ssoUrl: input.ssoUrl, certificates: input.certificates, allowIdpInitiated: input.allowIdpInitiated };
      const [row] = await db
        .insert(samlConnections)
        .values({ ...settings, organizationId: input.organizationId, createdBy: input.createdBy })
        .onConflictDoUpdate({ target: samlConnections.organizationId, set: { ...settings, updatedAt: new Date() } })
        .returning();
      return row!;
    },

    /** Replaces the certificate list; null when the organization has no connection. */
    async setCertificates(organizationId: string, certificates: string[]): Promise<SamlConnectionRow | null> {
      const [row] = await db
        .update(samlConnections)
        .set({ certificates, updatedAt: new Date() })
        .where(eq(samlConnections.organizationId, organizationId))
        .returning();
      return row ?? null;
    },

    async remove(organizationId: string): Promise<boolean> {
      return (await db.delete(samlConnections).where(eq(samlConnections.organizationId, organizationId)).returning()).length > 0;
    },

    /** The organization that verified `domain` and has a SAML connection (home-realm discovery). */
    async findOrganizationForDomain(domain: string): Promise<string | null> {
      const [row] = await db
        .select({ organizationId: samlConnections.organizationId })
        .from(domains)
        .innerJoin(samlConnections, eq(samlConnections.organizationId, domains.organizationId))
        .where(and(eq(domains.domain, domain), isNotNull(domains.verifiedAt)))
        .limit(1);
      return row?.organizationId ?? null;
    },
  };
}

export type SamlConnectionRepository = ReturnType<typeof createSamlConnectionRepository>;
