import type { AuditLog } from '../audit/audit-log';
import type { Clock } from '../clock';
import type { RequestMeta } from '../http/request-meta';
import type { IdentityRepository, IdentityRow } from '../identities/identity.repository';
import type { SignInMethods } from '../identities/sign-in-methods';
import { linkedIdentityErrors } from './linked-identity.errors';
import type { LinkedIdentityRepository, LinkedIdentityRow } from './linked-identity.repository';
import { isPlaceholderEmail, placeholderEmail } from './placeholder-email';

/** Who the provider (or wallet) says the user is, after its token or signature was verified. */
export interface UpstreamIdentity {
  provider: string;
  /** The provider's stable id of the user (never the email, which can change hands). */
  subject: string;
  /** Normalised, or null when the provider asserts none. */
  email: string | null;
  /** Whether the provider asserts that it verified the email. */
  emailVerified: boolean;
  /** A handle for the profile's username (GitHub login, X username), where the provider has one. */
  username: string | null;
  displayName: string | null;
}

/** What a verified upstream identity signs in to. */
export type AccountResolution =
  | { kind: 'signed_in'; user: IdentityRow; how: 'linked' | 'auto_linked' | 'created' }
  /** An account has that email, but the emails are not verified on both sides: the user proves the account first. */
  | { kind: 'link_required'; accountId: string };

/**
 * The rules that tie upstream identities to accounts, for every feature that signs in with one
 * (browser OAuth, the mobile token exchange, Sign-In with Ethereum). docs/architecture.md
 * ("Linked identities") states them; each is tested:
 *
 * 1. A linked identity signs in to its account.
 * 2. An unlinked identity whose email matches an account links to it automatically only when the
 *    provider asserts the email verified AND the account's email is verified. Otherwise the user
 *    proves the account first (signs in to it, then links).
 * 3. Otherwise the identity creates an account: its verified email, or an unguessable
 *    placeholder when it has none; the profile's username comes from the provider where free.
 * 4. An identity belongs to one account; an account links one identity per provider.
 * 5. Unlinking is refused when it would leave no way to sign in: another link, a password, or a
 *    verified, deliverable email (email codes and magic links) must remain.
 * 6. When an unverified account's mailbox is first proven, its links are removed with its
 *    password: whoever made them never proved the address (pre-account takeover).
 */
export function createLinkedIdentityService(deps: {
  links: LinkedIdentityRepository;
  identities: Pick<IdentityRepository, 'findById' | 'findByEmail' | 'createWithEvent'>;
  /** Every way in (core's verified email and links, features' passwords...), for the unlink guard. */
  signInMethods: Pick<SignInMethods, 'list'>;
  audit: AuditLog;
  clock: Clock;
  /** Wakes the outbox relay after a sign-up, so the profile follows promptly. */
  onSignUp: () => void;
}) {
  const auditLink = (type: string, userId: string, upstream: Pick<UpstreamIdentity, 'provider'>, meta: RequestMeta | null, details: Record<string, unknown>) =>
    deps.audit.record({ type, outcome: 'success', userId, method: upstream.provider, ...(meta ?? {}), details: { provider: upstream.provider, ...details } });

  const linkOf = (userId: string, upstream: UpstreamIdentity) => ({
    userId,
    provider: upstream.provider,
    subject: upstream.subject,
    email: upstream.email,
    emailVerified: upstream.emailVerified,
    displayName: upstream.username ?? upstream.displayName,
  });

  async function signedInByLink(link: LinkedIdentityRow): Promise<IdentityRow> {
    const user = await deps.identities.findById(link.userId);
    // The cascade removes links with their account; a missing account here is a race with its deletion.
    if (!user) throw linkedIdentityErrors.linkedElsewhere();
    await deps.links.touch(link.id, deps.clock.now());
    return user;
  }

  async function createAccount(upstream: UpstreamIdentity, meta: RequestMeta): Promise<IdentityRow | null> {
    const email = upstream.email ?? placeholderEmail(upstream.provider);
    const now = deps.clock.now();
    let conflict = false;
    const { identity, created } = await deps.identities.createWithEvent(
      {
        email,
        verified: upstream.email !== null && upstream.emailVerified,
        ...(upstream.username ? { preferredUsername: upstream.username } : {}),
        ...(upstream.displayName ? { displayName: upstream.displayName } : {}),
      },
      async (tx, account) => {
        conflict = typeof (await deps.links.insertWithin(tx, linkOf(account.id, upstream), now)) === 'string';
        // Rolls the new account back: the identity was linked by a parallel first sign-in.
        if (conflict) throw linkedIdentityErrors.linkedElsewhere();
      },
    ).catch((error: unknown) => {
      if (conflict) return { identity: null, created: false };
      throw error;
    });
    if (!identity || !created) return null;
    deps.onSignUp();
    await auditLink('identity.linked', identity.id, upstream, meta, { reason: 'sign_up' });
    return identity;
  }

  /** Rules 1 to 3: the account this upstream identity signs in to. */
  async function resolveSignIn(upstream: UpstreamIdentity, meta: RequestMeta): Promise<AccountResolution> {
    // Two tries: a parallel first sign-in of the same identity may win the race to create it.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const link = await deps.links.findBySubject(upstream.provider, upstream.subject);
      if (link) return { kind: 'signed_in', user: await signedInByLink(link), how: 'linked' };

      const holder = upstream.email ? await deps.identities.findByEmail(upstream.email) : null;
      if (holder) {
        if (!upstream.emailVerified || !holder.emailVerifiedAt || isPlaceholderEmail(holder.email)) {
          return { kind: 'link_required', accountId: holder.id };
        }
        const inserted = await deps.links.insert(linkOf(holder.id, upstream), deps.clock.now());
        if (inserted === 'provider_taken') return { kind: 'link_required', accountId: holder.id };
        if (inserted === 'subject_taken') continue;
        await auditLink('identity.linked', holder.id, upstream, meta, { reason: 'verified_email_match' });
        return { kind: 'signed_in', user: holder, how: 'auto_linked' };
      }

      const created = await createAccount(upstream, meta);
      if (created) return { kind: 'signed_in', user: created, how: 'created' };
    }
    throw linkedIdentityErrors.linkedElsewhere();
  }

  /** Rule 4: links an identity to an account whose holder proved it (signed in, recently). */
  async function linkToAccount(userId: string, upstream: UpstreamIdentity, meta: RequestMeta): Promise<LinkedIdentityRow> {
    const existing = await deps.links.findBySubject(upstream.provider, upstream.subject);
    if (existing) {
      if (existing.userId !== userId) throw linkedIdentityErrors.linkedElsewhere();
      return existing;
    }
    const inserted = await deps.links.insert(linkOf(userId, upstream), deps.clock.now());
    if (inserted === 'subject_taken') throw linkedIdentityErrors.linkedElsewhere();
    if (inserted === 'provider_taken') throw linkedIdentityErrors.providerAlreadyLinked(upstream.provider);
    await auditLink('identity.linked', userId, upstream, meta, { reason: 'linked_by_account_holder' });
    return inserted;
  }

  /** Rule 5. */
  async function unlink(userId: string, provider: string, meta: RequestMeta): Promise<void> {
    // Read under the lock on the account: what remains once this link is gone.
    const outcome = await deps.links.deleteGuarded(userId, provider, async () =>
      (await deps.signInMethods.list(userId)).some((method) => method.kind !== provider),
    );
    if (outcome === 'not_linked') throw linkedIdentityErrors.notLinked(provider);
    if (outcome === 'refused') throw linkedIdentityErrors.lastSignInMethod();
    await auditLink('identity.unlinked', userId, { provider }, meta, {});
  }

  return {
    resolveSignIn,
    linkToAccount,
    unlink,
    listForUser: (userId: string) => deps.links.listForUser(userId),
    /** Rule 6, as core's mailbox-proof hook. */
    async retireUnprovenLinks(userId: string): Promise<{ linksRemoved?: number }> {
      const removed = await deps.links.deleteAllForUser(userId);
      return removed > 0 ? { linksRemoved: removed } : {};
    },
  };
}

export type LinkedIdentityService = ReturnType<typeof createLinkedIdentityService>;
