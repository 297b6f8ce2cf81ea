import { and, eq, inArray } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { OrganizationsDb } from './db';
import { memberships, organizations } from './schema';

export type OrganizationRow = typeof organizations.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;

export function createOrganizationRepository(db: OrganizationsDb) {
  return {
    async findManyByIds(ids: string[]): Promise<OrganizationRow[]> {
      const valid = ids.filter(isUuid);
      return valid.length ? db.select().from(organizations).where(inArray(organizations.id, valid)) : [];
    },

    async findBySlug(slug: string): Promise<OrganizationRow | null> {
      const [row] = await db.select().from(organizations).where(eq(organizations.slug, slug)).limit(1);
      return row ?? null;
    },

    /** The organization and its owner's membership, together or not at all; null when the slug is taken. */
    async createWithOwner(input: { name: string; slug: string; ownerId: string }): Promise<OrganizationRow | null> {
      return db.transaction(async (tx) => {
        const [row] = await tx
          .insert(organizations)
          .values({ name: input.name, slug: input.slug, createdBy: input.ownerId })
          .onConflictDoNothing({ target: organizations.slug })
          .returning();
        if (!row) return null;
        await tx.insert(memberships).values({ organizationId: row.id, userId: input.ownerId, role: 'owner' });
        return row;
      });
    },

    async membershipsOfUser(userId: string): Promise<MembershipRow[]> {
      return isUuid(userId) ? db.select().from(memberships).where(eq(memberships.userId, userId)) : [];
    },

    async membership(organizationId: string, userId: string): Promise<MembershipRow | null> {
      if (!isUuid(organizationId) || !isUuid(userId)) return null;
      const [row] = await db
        .select()
        .from(memberships)
        .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
        .limit(1);
      return row ?? null;
    },

    async membersOf(organizationId: string): Promise<MembershipRow[]> {
      return db.select().from(memberships).where(eq(memberships.organizationId, organizationId));
    },
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;
