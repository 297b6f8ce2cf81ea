import { attribute, complex, type ResourceTypeDefinition } from '../../core/attribute.schema';

export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';

/** RFC 7643 section 4.2. Members are users of the same organization (nested groups are not supported). */
export const groupResourceType: ResourceTypeDefinition = {
  name: 'Group',
  endpoint: '/Groups',
  description: 'Group',
  core: {
    id: GROUP_SCHEMA,
    name: 'Group',
    description: 'Group',
    attributes: [
      attribute('displayName', 'string', 'A human-readable name for the Group', { required: true }),
      complex(
        'members',
        'The users in the group',
        [
          attribute('value', 'string', 'The id of a User of this organization', { caseExact: true, mutability: 'immutable' }),
          attribute('$ref', 'reference', 'The URI of the member', { mutability: 'immutable', referenceTypes: ['User'] }),
          attribute('display', 'string', "The member's display name", { mutability: 'readOnly' }),
          attribute('type', 'string', 'The type of member', { mutability: 'immutable', canonicalValues: ['User'] }),
        ],
        { multiValued: true },
      ),
    ],
  },
  extensions: [],
};
