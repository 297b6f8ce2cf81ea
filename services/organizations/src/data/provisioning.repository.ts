import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { isUuid } from '@malet/database';
import type { AnyPgDatabase } from '@malet/outbox';
import type { OrganizationsDb } from './db';
import { groupMembers, groups, memberships, organizations, provisioningSequences } from './schema';

export type GroupRow = typeof groups.$inferSelect;

/**
 * What SCIM provisioning changes here: members an identity provider added or deactivated, and
 * its groups. Every write takes the event's sequence and applies only if it is newer than the
 * last one applied to the same subject, so late or repeated events change nothing.
 */
export function createProvisioningRepository(db: OrganizationsDb) {
  async function claimSequence(tx: AnyPgDatabase, subject: string, sequence: number): Promise<boolean> {
    const rows = await tx
      .insert(provisioningSequences)
      .values({ subject, sequence })
      .onConflictDoUpdate({
        target: provisioningSequences.subject,
        set: { sequence },
        setWhere: sql`${provisioningSequences.sequence} < ${sequence}`,
      })
      .returning();
    return rows.length > 0;
  }

  async function organizationExists(tx: AnyPgDatabase, organizationId: string): Promise<boolean> {
    return (await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, organizationId))).length > 0;
  }

  return {
    /** A provisioned user is a member (role `member` unless already one) with the IdP's active flag. */
    async applyUserState(tx: AnyPgDatabase, input: { organizationId: string; userId: string; active: boolean; sequence: number }): Promise<void> {
      if (!(await claimSequence(tx, `user:${input.organizationId}:${input.userId}`, input.sequence))) return;
      if (!(await organizationExists(tx, input.organizationId))) return;
      await tx
        .insert(memberships)
        .values({ organizationId: input.organizationId, userId: input.userId, role: 'member', provisionedAt: sql`now()`, active: input.active })
        .onConflictDoUpdate({
          target: [memberships.organizationId, memberships.userId],
          set: { active: input.active, provisionedAt: sql`coalesce(${memberships.provisionedAt}, now())` },
        });
    },

    /**
     * A user the organization's SAML identity provider signed in is a member: role `member` unless
     * already one (just-in-time provisioning; an existing role, active flag or removal by SCIM's
     * sequence is not touched).
     */
    async applySamlSignIn(tx: AnyPgDatabase, input: { organizationId: string; userId: string }): Promise<void> {
      if (!(await organizationExists(tx, input.organizationId))) return;
      await tx.insert(memberships).values({ organizationId: input.organizationId, userId: input.userId, role: 'member' }).onConflictDoNothing();
    },

    /** A user the IdP deleted leaves the organization and its groups (owners stay: the IdP cannot remove them). */
    async applyUserDeleted(tx: AnyPgDatabase, input: { organizationId: string; userId: string; sequence: number }): Promise<void> {
      if (!(await claimSequence(tx, `user:${input.organizationId}:${input.userId}`, input.sequence))) return;
      await tx
        .delete(memberships)
        .where(and(eq(memberships.organizationId, input.organizationId), eq(memberships.userId, input.userId), sql`${memberships.role} <> 'owner'`));
      const groupIds = tx.select({ id: groups.id }).from(groups).where(eq(groups.organizationId, input.organizationId));
      await tx.delete(groupMembers).where(and(eq(groupMembers.userId, input.userId), inArray(groupMembers.groupId, groupIds)));
    },

    /** The group's whole state replaces what was known, if newer. */
    async applyGroup(
      tx: AnyPgDatabase,
      input: { organizationId: string; groupId: string; displayName: string; externalId: string | null; memberUserIds: string[]; sequence: number },
    ): Promise<void> {
      if (!(await claimSequence(tx, `group:${input.groupId}`, input.sequence))) return;
      if (!(await organizationExists(tx, input.organizationId))) return;
      const [row] = await tx
        .insert(groups)
        .values({ id: input.groupId, organizationId: input.organizationId, displayName: input.displayName, externalId: input.externalId })
        .onConflictDoUpdate({
          target: groups.id,
          set: { displayName: input.displayName, externalId: input.externalId, updatedAt: sql`now()` },
          // A group id belongs to the organization that created it; another one cannot take it over.
          setWhere: eq(groups.organizationId, input.organizationId),
        })
        .returning();
      if (!row) return;
      await tx.delete(groupMembers).where(eq(groupMembers.groupId, input.groupId));
      const members = [...new Set(input.memberUserIds)];
      if (members.length) await tx.insert(groupMembers).values(members.map((userId) => ({ groupId: input.groupId, userId })));
    },

    async applyGroupDeleted(tx: AnyPgDatabase, input: { organizationId: string; groupId: string; sequence: number }): Promise<void> {
      if (!(await claimSequence(tx, `group:${input.groupId}`, input.sequence))) return;
      await tx.delete(groups).where(and(eq(groups.id, input.groupId), eq(groups.organizationId, input.organizationId)));
    },

    async groupsOfOrganizations(organizationIds: string[]): Promise<GroupRow[]> {
      const valid = organizationIds.filter(isUuid);
      if (!valid.length) return [];
      return db.select().from(groups).where(inArray(groups.organizationId, valid)).orderBy(asc(groups.displayName), asc(groups.id));
    },

    async membersOfGroups(groupIds: string[]): Promise<{ groupId: string; userId: string }[]> {
      const valid = groupIds.filter(isUuid);
      if (!valid.length) return [];
      return db.select().from(groupMembers).where(inArray(groupMembers.groupId, valid)).orderBy(asc(groupMembers.userId));
    },
  };
}

export type ProvisioningRepository = ReturnType<typeof createProvisioningRepository>;
