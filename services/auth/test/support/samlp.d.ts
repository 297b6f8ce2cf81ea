/** The parts of auth0's `samlp` (untyped) the SAML tests use to run a real identity provider. */
declare module 'samlp' {
  import type { Request, RequestHandler, Response } from 'express';

  export interface SamlpOptions {
    issuer: string;
    cert: string;
    key: string;
    audience?: string;
    destination?: string;
    recipient?: string;
    inResponseTo?: string;
    lifetimeInSeconds?: number;
    signResponse?: boolean;
    signAssertion?: boolean;
    nameIdentifierFormat?: string;
    RelayState?: string;
    getPostURL?: (audience: string, samlRequestDom: unknown, req: Request, callback: (error: unknown, url?: string) => void) => void;
    getUserFromRequest?: (req: Request) => unknown;
    profileMapper?: (user: never) => { getClaims(options: unknown): Record<string, unknown>; getNameIdentifier(options: unknown): { nameIdentifier: string; nameIdentifierFormat?: string } };
    responseHandler?: (response: Buffer, options: SamlpOptions & { postUrl: string }, req: Request, res: Response) => void;
  }

  export function auth(options: SamlpOptions): RequestHandler;
  export function parseRequest(req: Request, callback: (error: unknown, data?: { id?: string; issuer?: string; assertionConsumerServiceURL?: string }) => void): void;
  export function getSamlResponse(options: SamlpOptions, user: unknown, callback: (error: unknown, response?: string) => void): void;
  const samlp: { auth: typeof auth; parseRequest: typeof parseRequest; getSamlResponse: typeof getSamlResponse };
  export default samlp;
}
