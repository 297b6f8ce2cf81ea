import { invalidValue } from './scim-error';

export const LIST_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const MAX_RESULTS = 200;
const DEFAULT_COUNT = 100;

export interface Page {
  /** 1-based, as SCIM counts. */
  startIndex: number;
  count: number;
}

/** `startIndex` below 1 counts as 1 and `count` is capped at MAX_RESULTS (RFC 7644 section 3.4.2.4). */
export function readPage(query: Record<string, unknown>): Page {
  const number = (name: string, fallback: number) => {
    const raw = Object.entries(query).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
    if (raw === undefined || raw === '') return fallback;
    if (typeof raw !== 'string' || !/^-?[0-9]{1,9}$/.test(raw)) throw invalidValue(`${name} must be an integer`);
    return Number(raw);
  };
  return {
    startIndex: Math.max(1, number('startIndex', 1)),
    count: Math.min(MAX_RESULTS, Math.max(0, number('count', DEFAULT_COUNT))),
  };
}

export function listResponse(resources: unknown[], totalResults: number, page: Page) {
  return {
    schemas: [LIST_RESPONSE_SCHEMA],
    totalResults,
    startIndex: page.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
