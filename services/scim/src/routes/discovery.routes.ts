import { Router, type Response } from 'express';

const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

/**
 * RFC 7644 section 4 discovery: what this SCIM server supports. Public by design, so IdPs can
 * read capabilities before they are given a token.
 */
export function discoveryRoutes(options: { baseUrl: string }): Router {
  const router = Router();
  const send = (res: Response, body: unknown) => res.type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));

  router.get('/scim/v2/ServiceProviderConfig', function showServiceProviderConfig(_req, res) {
    send(res, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
      patch: { supported: true },
      bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [
        { type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'SCIM token issued per organization', primary: true },
      ],
      meta: { resourceType: 'ServiceProviderConfig', location: `${options.baseUrl}/scim/v2/ServiceProviderConfig` },
    });
  });

  const resourceTypes = [
    { id: 'User', name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
    { id: 'Group', name: 'Group', endpoint: '/Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' },
  ].map((type) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    ...type,
    meta: { resourceType: 'ResourceType', location: `${options.baseUrl}/scim/v2/ResourceTypes/${type.id}` },
  }));
  router.get('/scim/v2/ResourceTypes', function listResourceTypes(_req, res) {
    send(res, { schemas: [LIST], totalResults: resourceTypes.length, startIndex: 1, itemsPerPage: resourceTypes.length, Resources: resourceTypes });
  });

  const schemas = [
    {
      id: 'urn:ietf:params:scim:schemas:core:2.0:User',
      name: 'User',
      description: 'User account',
      attributes: [
        attribute('userName', 'string', { required: true, uniqueness: 'server' }),
        attribute('externalId', 'string', { caseExact: true }),
        attribute('active', 'boolean'),
        attribute('displayName', 'string'),
        { ...attribute('emails', 'complex', { multiValued: true }), subAttributes: [attribute('value', 'string'), attribute('primary', 'boolean')] },
        { ...attribute('name', 'complex'), subAttributes: [attribute('givenName', 'string'), attribute('familyName', 'string')] },
      ],
    },
    {
      id: 'urn:ietf:params:scim:schemas:core:2.0:Group',
      name: 'Group',
      description: 'Group',
      attributes: [
        attribute('displayName', 'string', { required: true }),
        { ...attribute('members', 'complex', { multiValued: true }), subAttributes: [attribute('value', 'string')] },
      ],
    },
  ].map((schema) => ({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], ...schema, meta: { resourceType: 'Schema', location: `${options.baseUrl}/scim/v2/Schemas/${schema.id}` } }));
  router.get('/scim/v2/Schemas', function listSchemas(_req, res) {
    send(res, { schemas: [LIST], totalResults: schemas.length, startIndex: 1, itemsPerPage: schemas.length, Resources: schemas });
  });

  return router;
}

function attribute(name: string, type: string, options: { required?: boolean; multiValued?: boolean; uniqueness?: string; caseExact?: boolean } = {}) {
  return {
    name,
    type,
    multiValued: options.multiValued ?? false,
    required: options.required ?? false,
    caseExact: options.caseExact ?? false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: options.uniqueness ?? 'none',
  };
}
