import { and, asc, eq, inArray, ne, sql } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { OrganizationsDb } from './db';
import { memberships, organizations } from './schema';

export type OrganizationRow = typeof organizations.$inferSelect;
export type MembershipRow = typeof memberships.$inferSelect;
export type Role = MembershipRow['role'];

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

    /** Memberships of many users at once (federation batches `User.organizations`). */
    async membershipsOfUsers(userIds: string[]): Promise<MembershipRow[]> {
      const valid = userIds.filter(isUuid);
      return valid.length ? db.select().from(memberships).where(inArray(memberships.userId, valid)) : [];
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
      return this.membersOfMany([organizationId]);
    },

    /** Members of many organizations at once (federation batches `Organization.members`). */
    async membersOfMany(organizationIds: string[]): Promise<MembershipRow[]> {
      const valid = organizationIds.filter(isUuid);
      if (!valid.length) return [];
      return db
        .select()
        .from(memberships)
        .where(inArray(memberships.organizationId, valid))
        .orderBy(asc(memberships.createdAt), asc(memberships.userId));
    },

    /** Adds a member unless already one; true when added. */
    async addMember(organizationId: string, userId: string, role: Role): Promise<boolean> {
      const rows = await db.insert(memberships).values({ organizationId, userId, role }).onConflictDoNothing().returning();
      return rows.length > 0;
    },

    /**
     * Changes a role, or removes a member, unless that would leave the organization without an
     * owner. The owner count is taken under a lock on the organization row, so two owners
     * demoting each other at once cannot both succeed.
     */
    async changeMembership(organizationId: string, userId: string, change: { role: Role } | { remove: true }): Promise<'done' | 'not_member' | 'last_owner'> {
      return db.transaction(async (tx) => {
        await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, organizationId)).for('update');
        const [current] = await tx
          .select()
          .from(memberships)
          .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
          .for('update');
        if (!current) return 'not_member';
        const losesOwner = current.role === 'owner' && ('remove' in change || change.role !== 'owner');
        if (losesOwner) {
          const [others] = await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(memberships)
            .where(and(eq(memberships.organizationId, organizationId), eq(memberships.role, 'owner'), ne(memberships.userId, userId)));
          if ((others?.n ?? 0) === 0) return 'last_owner';
        }
        const where = and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId));
        if ('remove' in change) await tx.delete(memberships).where(where);
        else await tx.update(memberships).set({ role: change.role }).where(where);
        return 'done';
      });
    },
  };
}

export type OrganizationRepository = ReturnType<typeof createOrganizationRepository>;
