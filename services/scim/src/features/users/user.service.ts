import { assertIfMatch } from '../../core/etag';
import { listResponse } from '../../core/list-response';
import { applyPatch } from '../../core/patch.engine';
import { project, type Projection } from '../../core/projection';
import { normalizeResource, type Json } from '../../core/resource.codec';
import { renderResource } from '../../core/resource.render';
import type { ListQuery } from '../../core/request';
import { invalidValue, resourceNotFound, uniqueness } from '../../core/scim-error';
import type { ScimTenant } from '../../core/scim-http';
import type { AuthClient } from '../../core/clients/auth.client';
import { UniqueViolation, type ResourceRepository, type ResourceRow, type ResourceStore } from '../../core/resources/resource.repository';
import { userResourceType } from './user.schema';

const type = userResourceType;

/** Events organizations and auth consume (see docs/scim.md for the flow). */
export const USER_TOPICS = {
  provisioned: 'scim.user.provisioned',
  deactivated: 'scim.user.deactivated',
  reactivated: 'scim.user.reactivated',
  deleted: 'scim.user.deleted',
} as const;

/**
 * The email a provisioned user signs in with: the primary email, else a work email, else the
 * first, else a userName that is an address.
 */
export function signInEmailOf(attributes: Json): string | null {
  const emails = (Array.isArray(attributes.emails) ? attributes.emails : []) as Json[];
  const chosen = emails.find((e) => e.primary === true) ?? emails.find((e) => e.type === 'work') ?? emails[0];
  const candidate = typeof chosen?.value === 'string' ? chosen.value : typeof attributes.userName === 'string' ? attributes.userName : '';
  const email = candidate.trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) && email.length <= 320 ? email : null;
}

function displayNameOf(attributes: Json): string | null {
  const name = attributes.name as Json | undefined;
  const formatted = typeof name?.formatted === 'string' ? name.formatted : [name?.givenName, name?.familyName].filter((p) => typeof p === 'string').join(' ');
  const display = typeof attributes.displayName === 'string' ? attributes.displayName : formatted;
  return display ? display.slice(0, 100) : null;
}

export function createUserService(deps: {
  resources: ResourceRepository;
  auth: AuthClient;
  baseUrl: string;
  onAnnounced: () => void;
  /** Takes a deleted user out of whatever refers to it (groups), inside the deleting transaction. */
  onUserDeleted: (store: ResourceStore, tenant: ScimTenant, scimId: string) => Promise<void>;
}) {
  const { resources, baseUrl } = deps;
  const render = (row: ResourceRow) => renderResource(type, row, baseUrl);

  async function lockOrThrow(store: ResourceStore, tenant: ScimTenant, id: string, ifMatch: string | undefined): Promise<ResourceRow> {
    const row = await store.lock(tenant.organizationId, 'User', id);
    if (!row) throw resourceNotFound('User', id);
    assertIfMatch(ifMatch, row.version);
    return row;
  }

  function eventPayload(tenant: ScimTenant, row: ResourceRow): Json {
    const attributes = row.attributes as Json;
    return {
      organization_id: tenant.organizationId,
      user_id: row.targetId,
      scim_id: row.id,
      active: attributes.active !== false,
      user_name: attributes.userName,
      display_name: displayNameOf(attributes),
    };
  }

  /** Writes the normalized attributes and announces a change of `active` either way. */
  async function writeUser(store: ResourceStore, tenant: ScimTenant, row: ResourceRow, attributes: Json): Promise<ResourceRow> {
    const updated = await store
      .update(row, { attributes, externalId: (attributes.externalId as string | undefined) ?? null, userName: attributes.userName as string })
      .catch(rethrowUniqueness);
    const wasActive = (row.attributes as Json).active !== false;
    const isActive = attributes.active !== false;
    if (wasActive !== isActive) await store.announce(isActive ? USER_TOPICS.reactivated : USER_TOPICS.deactivated, eventPayload(tenant, updated));
    return updated;
  }

  return {
    async list(tenant: ScimTenant, query: ListQuery) {
      const { rows, total } = await resources.list(tenant.organizationId, type, query);
      return listResponse(rows.map((row) => project(type, render(row), query)), total, query);
    },

    async get(tenant: ScimTenant, id: string, projection: Projection) {
      const row = await resources.findById(tenant.organizationId, 'User', id);
      if (!row) throw resourceNotFound('User', id);
      return { body: project(type, render(row), projection), version: row.version };
    },

    async create(tenant: ScimTenant, body: unknown) {
      const attributes = normalizeResource(type, body);
      if (attributes.active === undefined) attributes.active = true;
      const userName = attributes.userName as string;
      if (await resources.findUserByUserName(tenant.organizationId, userName)) throw uniqueness(`userName '${userName}' is taken`);
      const email = signInEmailOf(attributes);
      if (!email) throw invalidValue('A user needs an email address (emails, or a userName that is one)');
      const domain = email.slice(email.lastIndexOf('@') + 1);
      // Only a domain the organization proved it owns: otherwise one tenant could take over,
      // and deprovision, accounts that belong to someone else.
      if (!tenant.verifiedDomains.includes(domain)) throw invalidValue(`The email domain ${domain} is not verified by this organization`);
      const identity = await deps.auth.provisionIdentity({ email, organizationId: tenant.organizationId, displayName: displayNameOf(attributes) });
      const row = await resources.transaction(async (store) => {
        const inserted = await store
          .insert(tenant.organizationId, 'User', {
            attributes,
            externalId: (attributes.externalId as string | undefined) ?? null,
            userName,
            targetId: identity.userId,
          })
          .catch(rethrowUniqueness);
        await store.announce(USER_TOPICS.provisioned, { ...eventPayload(tenant, inserted), email });
        return inserted;
      });
      deps.onAnnounced();
      return { body: render(row), version: row.version };
    },

    async replace(tenant: ScimTenant, id: string, body: unknown, ifMatch: string | undefined) {
      const attributes = normalizeResource(type, body);
      const row = await resources.transaction(async (store) => {
        const current = await lockOrThrow(store, tenant, id, ifMatch);
        // PUT without `active` keeps the status: a replace must not reactivate by omission.
        if (attributes.active === undefined) attributes.active = (current.attributes as Json).active !== false;
        return writeUser(store, tenant, current, attributes);
      });
      deps.onAnnounced();
      return { body: render(row), version: row.version };
    },

    async patch(tenant: ScimTenant, id: string, body: unknown, ifMatch: string | undefined) {
      const row = await resources.transaction(async (store) => {
        const current = await lockOrThrow(store, tenant, id, ifMatch);
        const patched = normalizeResource(type, applyPatch(type, current.attributes as Json, body));
        if (patched.active === undefined) patched.active = true;
        return writeUser(store, tenant, current, patched);
      });
      deps.onAnnounced();
      return { body: render(row), version: row.version };
    },

    /** Deletes the user, takes it out of every group, and announces both in one transaction. */
    async remove(tenant: ScimTenant, id: string, ifMatch: string | undefined): Promise<void> {
      await resources.transaction(async (store) => {
        const current = await lockOrThrow(store, tenant, id, ifMatch);
        await deps.onUserDeleted(store, tenant, current.id);
        await store.remove(current);
        await store.announce(USER_TOPICS.deleted, eventPayload(tenant, current));
      });
      deps.onAnnounced();
    },
  };
}

function rethrowUniqueness(error: unknown): never {
  if (error instanceof UniqueViolation) {
    if (error.constraint.includes('target')) throw uniqueness('That account is already provisioned in this organization');
    throw uniqueness('userName is taken');
  }
  throw error;
}

export type UserService = ReturnType<typeof createUserService>;
