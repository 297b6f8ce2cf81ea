/**
 * Characters XML 1.0 cannot carry at all, not even as character references: C0 controls other
 * than tab and line breaks, lone surrogates, U+FFFE and U+FFFF. Inputs refuse most of them
 * already; the writers drop any that reach them, so a feed is well-formed whatever is stored.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const NOT_XML_CHARACTER = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Text or attribute content: every markup character escaped. */
export function escapeXml(value: string): string {
  return value.replace(NOT_XML_CHARACTER, '').replace(/[&<>"']/g, (character) => ENTITIES[character]!);
}

/** A CDATA section; `]]>` inside the text is split across two sections, the standard way. */
export function cdata(value: string): string {
  return `<![CDATA[${value.replace(NOT_XML_CHARACTER, '').replaceAll(']]>', ']]]]><![CDATA[>')}]]>`;
}

/** W3C Datetime (the sitemaps.org `lastmod` format), to the second, in UTC. */
export function w3cDatetime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** RFC 822 date-time as RSS 2.0 requires, e.g. `Wed, 25 Nov 2026 12:40:11 GMT`. */
export function rfc822Date(date: Date): string {
  return date.toUTCString();
}

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';
