import { DOMParser } from '@xmldom/xmldom';

/**
 * The structural half of checking a SAML response, before and independently of its signature:
 * the shapes that signature-wrapping and injection attacks need are refused outright, so that
 * "the signed assertion" and "the assertion we read" can only be one and the same element.
 *
 * Accepted: one `samlp:Response` holding exactly one `saml:Assertion` as a direct child, no
 * `EncryptedAssertion` anywhere, every `ds:Signature` enveloped in the Response or that
 * Assertion and referencing its parent by ID with only the enveloped-signature and exclusive
 * canonicalisation transforms, SHA-256 or stronger, ID values unique in the document, and no
 * DTD, comment or processing instruction anywhere (a comment inside NameID is the classic
 * canonicalisation trick: the signature ignores it, a naive reader stops at it).
 */

const NS = {
  protocol: 'urn:oasis:names:tc:SAML:2.0:protocol',
  assertion: 'urn:oasis:names:tc:SAML:2.0:assertion',
  dsig: 'http://www.w3.org/2000/09/xmldsig#',
};
const ALLOWED_TRANSFORMS = new Set(['http://www.w3.org/2000/09/xmldsig#enveloped-signature', 'http://www.w3.org/2001/10/xml-exc-c14n#']);
const ALLOWED_CANONICALIZATION = new Set(['http://www.w3.org/2001/10/xml-exc-c14n#']);
const ALLOWED_SIGNATURE_METHODS = new Set([
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  'http://www.w3.org/2001/04/xmldsig-more#rsa-sha512',
]);
const ALLOWED_DIGESTS = new Set(['http://www.w3.org/2001/04/xmlenc#sha256', 'http://www.w3.org/2001/04/xmlenc#sha512']);
/** Attribute names xml-crypto resolves a Reference URI against: an ID must be unique across all of them. */
const ID_ATTRIBUTES = ['ID', 'Id', 'id'];
const BEARER = 'urn:oasis:names:tc:SAML:2.0:cm:bearer';
const EMAIL_FORMAT = 'urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress';

const ELEMENT = 1;
const TEXT = 3;
const CDATA = 4;
const PROCESSING_INSTRUCTION = 7;
const COMMENT = 8;
const DOCUMENT_TYPE = 10;

interface XmlNode {
  nodeType: number;
  localName: string | null;
  namespaceURI: string | null;
  nodeValue: string | null;
  parentNode: XmlNode | null;
  childNodes: ArrayLike<XmlNode> | null;
  attributes?: ArrayLike<{ name: string; value: string }>;
  getAttribute?(name: string): string | null;
}

/** Why a response was refused: `malformed` (not a SAML response we can read) or `structure` (an attack shape). */
export class SamlShapeError extends Error {
  constructor(
    readonly kind: 'malformed' | 'structure',
    message: string,
  ) {
    super(message);
  }
}

export interface SubjectConfirmation {
  recipient: string | null;
  notOnOrAfter: string | null;
  notBefore: string | null;
  inResponseTo: string | null;
}

/** What a response says, read from the one Assertion the structure allows. */
export interface SamlResponseShape {
  responseId: string;
  destination: string | null;
  inResponseTo: string | null;
  statusCode: string | null;
  assertionId: string;
  issuer: string | null;
  nameId: string;
  nameIdFormat: string | null;
  /** Bearer confirmations only (Web Browser SSO profile). */
  confirmations: SubjectConfirmation[];
  notBefore: string | null;
  notOnOrAfter: string | null;
  /** Every Audience of every AudienceRestriction (each restriction must include us). */
  audienceRestrictions: string[][];
  attributes: Record<string, string[]>;
  /** Base64 bodies of certificates the signatures carry in KeyInfo (only a hint of which key to try first). */
  embeddedCertificates: string[];
}

const malformed = (why: string) => new SamlShapeError('malformed', why);
const refused = (why: string) => new SamlShapeError('structure', why);

/** Every child node (xmldom gives text and comment nodes no `childNodes` list). */
function childNodesOf(node: XmlNode): XmlNode[] {
  return node.childNodes ? Array.from(node.childNodes) : [];
}

function children(node: XmlNode): XmlNode[] {
  return childNodesOf(node).filter((child) => child.nodeType === ELEMENT);
}

function childrenNamed(node: XmlNode, ns: string, name: string): XmlNode[] {
  return children(node).filter((child) => child.namespaceURI === ns && child.localName === name);
}

function onlyChild(node: XmlNode, ns: string, name: string): XmlNode | null {
  const found = childrenNamed(node, ns, name);
  if (found.length > 1) throw refused(`more than one ${name} in ${node.localName}`);
  return found[0] ?? null;
}

const attr = (node: XmlNode | null, name: string) => node?.getAttribute?.(name) || null;

/** Text of an element made only of text: any child element makes it unreadable as a value. */
function textOf(node: XmlNode): string {
  let text = '';
  for (const child of childNodesOf(node)) {
    if (child.nodeType === TEXT || child.nodeType === CDATA) text += child.nodeValue ?? '';
    else throw refused(`${node.localName} holds markup where text is expected`);
  }
  return text.trim();
}

function* walk(node: XmlNode): Generator<XmlNode> {
  yield node;
  for (const child of childNodesOf(node)) yield* walk(child);
}

function parse(xml: string): XmlNode {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw malformed('document type declarations are not accepted');
  let problem: string | null = null;
  const parser = new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (message: string) => void (problem ??= message),
      fatalError: (message: string) => void (problem ??= message),
    },
  });
  let document: XmlNode;
  try {
    document = parser.parseFromString(xml, 'text/xml') as unknown as XmlNode;
  } catch {
    throw malformed('not well-formed XML');
  }
  if (problem || !document) throw malformed('not well-formed XML');
  return document;
}

function checkSignature(signature: XmlNode, parent: XmlNode): void {
  const parentId = attr(parent, 'ID');
  const signedInfo = onlyChild(signature, NS.dsig, 'SignedInfo');
  if (!signedInfo || !parentId) throw refused('a signature without SignedInfo, or on an element without ID');
  const canonicalization = attr(onlyChild(signedInfo, NS.dsig, 'CanonicalizationMethod'), 'Algorithm');
  if (!canonicalization || !ALLOWED_CANONICALIZATION.has(canonicalization)) throw refused(`canonicalization ${canonicalization ?? 'missing'}`);
  const method = attr(onlyChild(signedInfo, NS.dsig, 'SignatureMethod'), 'Algorithm');
  if (!method || !ALLOWED_SIGNATURE_METHODS.has(method)) throw refused(`signature method ${method ?? 'missing'} (RSA with SHA-256 or SHA-512 only)`);
  const references = childrenNamed(signedInfo, NS.dsig, 'Reference');
  if (references.length !== 1) throw refused('a signature must reference exactly one element');
  const reference = references[0]!;
  if (attr(reference, 'URI') !== `#${parentId}`) throw refused('a signature must reference the element that contains it');
  const transformList = onlyChild(reference, NS.dsig, 'Transforms');
  for (const transform of transformList ? children(transformList) : []) {
    const algorithm = attr(transform, 'Algorithm');
    if (transform.localName !== 'Transform' || !algorithm || !ALLOWED_TRANSFORMS.has(algorithm)) throw refused(`transform ${algorithm ?? 'missing'}`);
  }
  const digest = attr(onlyChild(reference, NS.dsig, 'DigestMethod'), 'Algorithm');
  if (!digest || !ALLOWED_DIGESTS.has(digest)) throw refused(`digest ${digest ?? 'missing'} (SHA-256 or SHA-512 only)`);
}

export function inspectSamlResponse(xml: string): SamlResponseShape {
  const document = parse(xml);
  const roots = children(document);
  const response = roots[0];
  if (roots.length !== 1 || !response || response.namespaceURI !== NS.protocol || response.localName !== 'Response') {
    throw malformed('the document is not a samlp:Response');
  }

  const ids = new Set<string>();
  const assertions: XmlNode[] = [];
  const signatures: XmlNode[] = [];
  for (const node of walk(document)) {
    if (node.nodeType === COMMENT) throw refused('comments are not accepted (NameID comment truncation)');
    if (node.nodeType === PROCESSING_INSTRUCTION || node.nodeType === DOCUMENT_TYPE) throw malformed('processing instructions and DTDs are not accepted');
    if (node.nodeType !== ELEMENT) continue;
    if (node.localName === 'EncryptedAssertion' || node.localName === 'EncryptedID' || node.localName === 'EncryptedAttribute') {
      throw refused(`${node.localName} is not accepted (no encryption key is configured: an injected one would be unverifiable)`);
    }
    if (node.localName === 'Assertion') assertions.push(node);
    if (node.localName === 'Signature' && node.namespaceURI === NS.dsig) signatures.push(node);
    for (const name of ID_ATTRIBUTES) {
      const value = attr(node, name);
      if (value === null) continue;
      if (ids.has(value)) throw refused(`the ID ${value} appears twice`);
      ids.add(value);
    }
  }

  if (assertions.length !== 1) throw refused(`${assertions.length} assertions (exactly one, signed, is accepted)`);
  const assertion = assertions[0]!;
  if (assertion.parentNode !== response || assertion.namespaceURI !== NS.assertion) throw refused('the assertion is not a direct child of the response');
  if (signatures.length === 0) throw refused('neither the response nor the assertion is signed');
  for (const signature of signatures) {
    if (signature.parentNode !== response && signature.parentNode !== assertion) throw refused('a signature outside the response and assertion');
    checkSignature(signature, signature.parentNode!);
  }
  if (childrenNamed(response, NS.dsig, 'Signature').length > 1 || childrenNamed(assertion, NS.dsig, 'Signature').length > 1) {
    throw refused('more than one signature on one element');
  }

  const assertionId = attr(assertion, 'ID');
  const responseId = attr(response, 'ID');
  if (!assertionId || !responseId) throw malformed('the response or assertion has no ID');
  const status = onlyChild(response, NS.protocol, 'Status');
  const subject = onlyChild(assertion, NS.assertion, 'Subject');
  const nameIdNode = subject ? onlyChild(subject, NS.assertion, 'NameID') : null;
  if (!nameIdNode) throw malformed('the assertion has no Subject NameID');
  const conditions = onlyChild(assertion, NS.assertion, 'Conditions');
  const issuerNode = onlyChild(assertion, NS.assertion, 'Issuer');

  const confirmations = (subject ? childrenNamed(subject, NS.assertion, 'SubjectConfirmation') : [])
    .filter((confirmation) => attr(confirmation, 'Method') === BEARER)
    .map((confirmation) => {
      const data = onlyChild(confirmation, NS.assertion, 'SubjectConfirmationData');
      return { recipient: attr(data, 'Recipient'), notOnOrAfter: attr(data, 'NotOnOrAfter'), notBefore: attr(data, 'NotBefore'), inResponseTo: attr(data, 'InResponseTo') };
    });

  const attributes: Record<string, string[]> = {};
  for (const statement of childrenNamed(assertion, NS.assertion, 'AttributeStatement')) {
    for (const attribute of childrenNamed(statement, NS.assertion, 'Attribute')) {
      const name = attr(attribute, 'Name');
      if (!name) continue;
      attributes[name] = [...(attributes[name] ?? []), ...childrenNamed(attribute, NS.assertion, 'AttributeValue').map(textOf)];
    }
  }

  const embeddedCertificates = signatures.flatMap((signature) =>
    [...walk(signature)].filter((node) => node.nodeType === ELEMENT && node.localName === 'X509Certificate').map((node) => textOf(node).replace(/\s+/g, '')),
  );

  return {
    responseId,
    destination: attr(response, 'Destination'),
    inResponseTo: attr(response, 'InResponseTo'),
    statusCode: attr(status ? onlyChild(status, NS.protocol, 'StatusCode') : null, 'Value'),
    assertionId,
    issuer: issuerNode ? textOf(issuerNode) : null,
    nameId: textOf(nameIdNode),
    nameIdFormat: attr(nameIdNode, 'Format'),
    confirmations,
    notBefore: attr(conditions, 'NotBefore'),
    notOnOrAfter: attr(conditions, 'NotOnOrAfter'),
    audienceRestrictions: (conditions ? childrenNamed(conditions, NS.assertion, 'AudienceRestriction') : []).map((restriction) =>
      childrenNamed(restriction, NS.assertion, 'Audience').map(textOf),
    ),
    attributes,
    embeddedCertificates,
  };
}

export const NAME_ID_EMAIL_FORMAT = EMAIL_FORMAT;
