import type { IdentityRepository } from './identity.repository';

/**
 * One way a person can get into their account:
 * - `email`: the address is verified, so the emailed code and the magic link reach its owner (a
 *   placeholder address is never verified);
 * - `password`: a password is set (passwords feature);
 * - `passkey`: one entry per registered passkey, with its id (passkeys feature);
 * - a linked identity: `google`, `github`, ..., `ethereum`, with its subject as `id` (core).
 * An unverified address does not count: nobody has shown it reaches the account's holder.
 */
export interface SignInMethod {
  kind: string;
  /** Which one, for kinds a user can have several of (a passkey's id, a linked identity's subject). */
  id?: string;
}

/** A feature's part of the list: the methods it holds for the user. */
export type SignInMethodsProvider = (userId: string) => Promise<SignInMethod[]>;

/**
 * Every way a user can sign in, gathered from core (the verified email, linked identities) and
 * from each feature that holds a credential. Removing a way in (a passkey, a linked identity)
 * checks this list first, so nobody removes their last one.
 */
export function createSignInMethods(deps: { identities: Pick<IdentityRepository, 'findById'> }) {
  const providers: SignInMethodsProvider[] = [];
  return {
    /** Registers a feature's provider (when the feature is mounted). */
    use(provider: SignInMethodsProvider): void {
      providers.push(provider);
    },
    async list(userId: string): Promise<SignInMethod[]> {
      const identity = await deps.identities.findById(userId);
      if (!identity) return [];
      const methods: SignInMethod[] = identity.emailVerifiedAt ? [{ kind: 'email' }] : [];
      for (const provider of providers) methods.push(...(await provider(userId)));
      return methods;
    },
  };
}

export type SignInMethods = ReturnType<typeof createSignInMethods>;
