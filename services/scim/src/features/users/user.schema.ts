import { attribute, complex, multiValuedComplex, type ResourceTypeDefinition, type SchemaDefinition } from '../../core/attribute.schema';

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** RFC 7643 section 4.1, minus what this service does not keep (passwords, photos' binaries, x509 certificates, groups). */
const userCore: SchemaDefinition = {
  id: USER_SCHEMA,
  name: 'User',
  description: 'User Account',
  attributes: [
    attribute('userName', 'string', 'Unique identifier for the User, typically the sign-in name', { required: true, uniqueness: 'server' }),
    complex('name', "The components of the user's real name", [
      attribute('formatted', 'string', 'The full name, formatted for display'),
      attribute('familyName', 'string', 'The family name'),
      attribute('givenName', 'string', 'The given name'),
      attribute('middleName', 'string', 'The middle name(s)'),
      attribute('honorificPrefix', 'string', 'Honorific prefix (title)'),
      attribute('honorificSuffix', 'string', 'Honorific suffix'),
    ]),
    attribute('displayName', 'string', 'The name of the User, suitable for display'),
    attribute('nickName', 'string', 'The casual way to address the user'),
    attribute('profileUrl', 'reference', "A URI of the user's online profile", { referenceTypes: ['external'] }),
    attribute('title', 'string', "The user's title"),
    attribute('userType', 'string', 'The relationship between the organization and the user'),
    attribute('preferredLanguage', 'string', "The user's preferred language"),
    attribute('locale', 'string', "The user's default location"),
    attribute('timezone', 'string', "The user's time zone (IANA)"),
    attribute('active', 'boolean', "The user's administrative status: false blocks sign-in and ends the user's sessions"),
    multiValuedComplex('emails', 'Email addresses for the user', ['work', 'home', 'other']),
    multiValuedComplex('phoneNumbers', 'Phone numbers for the user', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValuedComplex('ims', 'Instant messaging addresses for the user', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multiValuedComplex('photos', 'URLs of photos of the user', ['photo', 'thumbnail'], 'reference'),
    complex(
      'addresses',
      'Physical mailing addresses for the user',
      [
        attribute('formatted', 'string', 'The full mailing address'),
        attribute('streetAddress', 'string', 'The street address'),
        attribute('locality', 'string', 'The city or locality'),
        attribute('region', 'string', 'The state or region'),
        attribute('postalCode', 'string', 'The zip or postal code'),
        attribute('country', 'string', 'The country'),
        attribute('type', 'string', 'A label for the address', { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'boolean', 'Whether this is the preferred address'),
      ],
      { multiValued: true },
    ),
    multiValuedComplex('entitlements', 'Entitlements for the user', []),
    multiValuedComplex('roles', 'Roles for the user', []),
  ],
};

const enterpriseUser: SchemaDefinition = {
  id: ENTERPRISE_USER_SCHEMA,
  name: 'EnterpriseUser',
  description: 'Enterprise User',
  attributes: [
    attribute('employeeNumber', 'string', 'Identifier assigned by the organization'),
    attribute('costCenter', 'string', 'The name of a cost center'),
    attribute('organization', 'string', 'The name of an organization'),
    attribute('division', 'string', 'The name of a division'),
    attribute('department', 'string', 'The name of a department'),
    complex('manager', "The user's manager", [
      attribute('value', 'string', 'The id of the SCIM resource representing the manager'),
      attribute('$ref', 'reference', 'The URI of the manager resource', { referenceTypes: ['User'] }),
      attribute('displayName', 'string', "The manager's display name", { mutability: 'readOnly' }),
    ]),
  ],
};

export const userResourceType: ResourceTypeDefinition = {
  name: 'User',
  endpoint: '/Users',
  description: 'User Account',
  core: userCore,
  extensions: [enterpriseUser],
};
