import type { SamlService } from './saml.service';

type ConnectionReference = { organizationId: string };

/**
 * Auth's fields of organizations' `SamlConnection` entity: the service-provider side the
 * organization's admins give their identity provider. Organizations decides who may read the
 * connection; these fields follow from its organization id alone.
 */
export function samlResolvers(saml: Pick<SamlService, 'urlsFor'>) {
  return {
    SamlConnection: {
      __resolveReference: (reference: ConnectionReference) => ({ organizationId: reference.organizationId }),
      spEntityId: (connection: ConnectionReference) => saml.urlsFor(connection.organizationId).entityId,
      acsUrl: (connection: ConnectionReference) => saml.urlsFor(connection.organizationId).acsUrl,
      metadataUrl: (connection: ConnectionReference) => saml.urlsFor(connection.organizationId).metadataUrl,
      loginUrl: (connection: ConnectionReference) => saml.urlsFor(connection.organizationId).loginUrl,
    },
  };
}
