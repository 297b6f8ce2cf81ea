import type { Filter } from './filter.parser';
import { parseFilter } from './filter.parser';
import { readPage, type Page } from './list-response';
import { readProjection, type Projection } from './projection';

/** The query of a list request (RFC 7644 section 3.4.2): filter, paging and projection. */
export interface ListQuery extends Page, Projection {
  filter: Filter | null;
}

export function readListQuery(query: Record<string, unknown>): ListQuery {
  const rawFilter = Object.entries(query).find(([key]) => key.toLowerCase() === 'filter')?.[1];
  const filter = typeof rawFilter === 'string' && rawFilter.trim() !== '' ? parseFilter(rawFilter) : null;
  return { filter, ...readPage(query), ...readProjection(query) };
}
