/**
 * Pages of a long list (`?page=N`, from 1): which slice a request shows, and the links to the
 * neighbouring pages. A list of 20,000 projects is sent 50 at a time.
 */
import { badRequest } from '../../common/errors.ts';
import { type Html, html } from '../html.ts';

export interface Paging {
  /** 1-based page shown. */
  readonly page: number;
  readonly pageCount: number;
  /** Slice of the list shown: `[start, end)`. */
  readonly start: number;
  readonly end: number;
  readonly total: number;
}

/** The page a request asks for (`?page=`, default 1, past the end: the last page); 400 when it is not a positive integer. */
export function pageOf(query: URLSearchParams, total: number, size: number, parameter = 'page'): Paging {
  const asked = query.get(parameter);
  if (asked !== null && !/^[1-9][0-9]{0,8}$/.test(asked)) throw badRequest(`${parameter} must be a positive integer`);
  const pageCount = Math.max(1, Math.ceil(total / size));
  const page = Math.min(pageCount, asked === null ? 1 : Number(asked));
  const start = (page - 1) * size;
  return { page, pageCount, start, end: Math.min(total, start + size), total };
}

/** "Page 2 of 7" with previous and next links (none when everything fits on one page). */
export function pager(paging: Paging, hrefOf: (page: number) => string, label: string): Html | '' {
  if (paging.pageCount === 1) return '';
  const previous = paging.page > 1 ? html`<a rel="prev" href="${hrefOf(paging.page - 1)}">← Previous</a>` : '';
  const next = paging.page < paging.pageCount ? html`<a rel="next" href="${hrefOf(paging.page + 1)}">Next →</a>` : '';
  return html`<nav class="pager" aria-label="${label}">${previous}<span>Page ${paging.page} of ${paging.pageCount}</span>${next}</nav>`;
}

/** The current URL's query with `page` set (other parameters kept). */
export function withPage(query: URLSearchParams, page: number, parameter = 'page'): string {
  const next = new URLSearchParams(query);
  next.set(parameter, String(page));
  return `?${next.toString()}`;
}
