import { LRUCache } from 'lru-cache';
import { samlErrors } from './saml.errors';
import { z } from 'zod';
import { callInternalApi, type InternalTokenSigner } from '@malet/internal-auth';

/** An organization's SAML connection as organizations answers it (its internal saml-connection read). */
export interface SamlConnection {
  organizationId: string;
  connectionId: string;
  idpEntityId: string;
  ssoUrl: string;
  /** Base64 DER signing certificates: one, or two during a rollover. */
  certificates: string[];
  allowIdpInitiated: boolean;
  verifiedDomains: string[];
}

const connectionAnswer = z.object({
  organization_id: z.uuid(),
  connection_id: z.uuid(),
  idp_entity_id: z.string().min(1),
  sso_url: z.string().min(1),
  certificates: z.array(z.string().min(1)).min(1),
  allow_idp_initiated: z.boolean(),
  verified_domains: z.array(z.string()),
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads connections from the organizations service, which owns them. Answers (a connection or
 * "none") are kept `ttlMs`: a connection deleted or changed there stops being honoured here
 * within that time, on every replica. A failure to ask is an error, never a "none".
 */
export function createSamlConnectionClient(options: { organizationsUrl: string; signInternalToken: InternalTokenSigner; ttlMs: number }) {
  const cache = new LRUCache<string, { connection: SamlConnection | null }>({ max: 10_000, ttl: Math.max(options.ttlMs, 1) });

  /** The JSON organizations answers, null for 404; unreachable or any other status is directoryUnavailable (503). */
  async function ask(path: string): Promise<unknown | null> {
    let answer;
    try {
      answer = await callInternalApi({ url: `${options.organizationsUrl}${path}`, signInternalToken: options.signInternalToken, timeoutMs: 3_000 });
    } catch (error) {
      throw Object.assign(samlErrors.directoryUnavailable(), { cause: error });
    }
    if (answer.status === 404) return null;
    if (!answer.ok) {
      throw Object.assign(samlErrors.directoryUnavailable(), { cause: new Error(`organizations answered ${answer.status}`) });
    }
    return answer.body;
  }

  return {
    async findConnection(organizationId: string): Promise<SamlConnection | null> {
      if (!UUID.test(organizationId)) return null;
      const cached = options.ttlMs > 0 ? cache.get(organizationId) : undefined;
      if (cached) return cached.connection;
      const answer = await ask(`/internal/organizations/${organizationId}/saml-connection`);
      const parsed = answer === null ? null : connectionAnswer.parse(answer);
      const connection: SamlConnection | null = parsed && {
        organizationId: parsed.organization_id,
        connectionId: parsed.connection_id,
        idpEntityId: parsed.idp_entity_id,
        ssoUrl: parsed.sso_url,
        certificates: parsed.certificates,
        allowIdpInitiated: parsed.allow_idp_initiated,
        verifiedDomains: parsed.verified_domains.map((domain) => domain.toLowerCase()),
      };
      if (options.ttlMs > 0) cache.set(organizationId, { connection });
      return connection;
    },

    /** The organization that verified this email domain and signs in with SAML, or null. */
    async findOrganizationForDomain(domain: string): Promise<string | null> {
      const answer = await ask(`/internal/saml-connections/by-domain/${encodeURIComponent(domain)}`);
      return answer === null ? null : z.object({ organization_id: z.uuid() }).parse(answer).organization_id;
    },
  };
}

export type SamlConnectionClient = ReturnType<typeof createSamlConnectionClient>;
