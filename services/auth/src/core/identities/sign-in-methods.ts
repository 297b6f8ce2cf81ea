import type { IdentityRepository } from './identity.repository';

/**
 * One way a person can get into their account:
 * - `email`: the address is verified, so the emailed code and the magic link reach its owner;
 * - `password`: a password is set (passwords feature);
 * - `passkey`: one entry per registered passkey, with its id (passkeys feature);
 * - further kinds from other features (linked social accounts).
 * An unverified address does not count: nobody has shown it reaches the account's holder.
 */
export interface SignInMethod {
  kind: string;
  /** Which one, for kinds a user can have several of (a passkey's id). */
  id?: string;
}

/** A feature's part of the list: the methods it holds for the user. */
export type SignInMethodsProvider = (userId: string) => Promise<SignInMethod[]>;

/**
 * Every way a user can sign in, gathered from core (the verified email) and from each feature
 * that holds a credential. Removing a credential checks this list first, so nobody removes
 * their last way in.
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
