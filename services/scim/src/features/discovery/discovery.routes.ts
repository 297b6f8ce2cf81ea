import { Router } from 'express';
import { commonAttributes, type ResourceTypeDefinition, type SchemaDefinition } from '../../core/attribute.schema';
import { LIST_RESPONSE_SCHEMA, MAX_RESULTS } from '../../core/list-response';
import { resourceNotFound } from '../../core/scim-error';
import { sendScim } from '../../core/scim-http';

/**
 * RFC 7644 section 4 discovery, generated from the same definitions that drive validation,
 * filters and projection, so it says exactly what the service does. Public by design: IdPs read
 * capabilities before they are given a token.
 */
export function discoveryRoutes(options: { baseUrl: string; resourceTypes: ResourceTypeDefinition[] }): Router {
  const router = Router();
  const { baseUrl } = options;
  const list = (resources: unknown[]) => ({
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults: resources.length,
    startIndex: 1,
    itemsPerPage: resources.length,
    Resources: resources,
  });

  const serviceProviderConfig = {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    documentationUri: 'https://datatracker.ietf.org/doc/html/rfc7644',
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_RESULTS },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: true },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'OAuth Bearer Token',
        description: 'A SCIM token (scim_...) minted per organization with the createScimToken mutation',
        specUri: 'https://www.rfc-editor.org/info/rfc6750',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };

  const resourceTypes = options.resourceTypes.map((type) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
    id: type.name,
    name: type.name,
    endpoint: type.endpoint,
    description: type.description,
    schema: type.core.id,
    schemaExtensions: type.extensions.map((extension) => ({ schema: extension.id, required: false })),
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/${type.name}` },
  }));

  const toDocument = (schema: SchemaDefinition, attributes: SchemaDefinition['attributes']) => ({
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
    id: schema.id,
    name: schema.name,
    description: schema.description,
    attributes,
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${schema.id}` },
  });
  // `id`, `externalId` and `meta` are common attributes (RFC 7643 section 3.1), not part of a schema document.
  const schemas = options.resourceTypes.flatMap((type) => [
    toDocument(type.core, type.core.attributes.filter((a) => !commonAttributes.includes(a))),
    ...type.extensions.map((extension) => toDocument(extension, extension.attributes)),
  ]);

  router.get('/ServiceProviderConfig', function showServiceProviderConfig(_req, res) {
    sendScim(res, 200, serviceProviderConfig);
  });
  router.get('/ResourceTypes', function listResourceTypes(_req, res) {
    sendScim(res, 200, list(resourceTypes));
  });
  router.get('/ResourceTypes/:id', function showResourceType(req, res) {
    const found = resourceTypes.find((type) => type.id === req.params.id);
    if (!found) throw resourceNotFound('ResourceType', req.params.id!);
    sendScim(res, 200, found);
  });
  router.get('/Schemas', function listSchemas(_req, res) {
    sendScim(res, 200, list(schemas));
  });
  router.get('/Schemas/:id', function showSchema(req, res) {
    const found = schemas.find((schema) => schema.id === req.params.id);
    if (!found) throw resourceNotFound('Schema', req.params.id!);
    sendScim(res, 200, found);
  });
  return router;
}
