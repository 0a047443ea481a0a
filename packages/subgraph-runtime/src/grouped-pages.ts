import DataLoader from 'dataloader';
import type { PreparedReads, ReadStatement } from './database/prepared-reads.js';
import { isId } from './loaders.js';
import { type Connection, type PageRequest, type SortValue, toConnection } from './pagination.js';

/** What the SQL needs to know about a paginated relation, e.g. the orders of each user. */
export interface GroupedPageSpec {
  /** Names its prepared statements (unique in the service). */
  name: string;
  table: string;
  /** The row's columns as the row type names them, on the table as `t` (e.g. `t."created_at" AS "createdAt"`). */
  columns: string;
  /** Columns computed only for the rows on the page, on `"ranked"` (whose `"_key"` is the row's id). */
  pageColumns?: string;
  groupColumn: string;
  sortColumn: string;
  sortType: 'timestamptz' | 'text' | 'int4';
  direction: 'asc' | 'desc';
  /** Which rows belong in pages at all, as SQL written in code on `t` (e.g. `t."archived_at" IS NULL`); all by default. */
  rowsShown?: string;
}

/** A row on a key's page, with the key's count of rows when it was asked for. */
export interface GroupedRow<Row> {
  group: string;
  total: number | null;
  row: Row;
}

/**
 * One statement for every key's page: the first `first + 1` rows after the cursor, each key's rows numbered in
 * page order by a window function, and (when the client selected `totalCount`) each key's count by another
 * window taken before the cursor. Identifiers come from code, values are bound; one prepared statement per
 * shape (cursor or not, count or not).
 */
export function groupedPageStatement(spec: GroupedPageSpec, page: PageRequest): ReadStatement {
  const beyond = spec.direction === 'asc' ? '>' : '<';
  const direction = spec.direction.toUpperCase();
  const count = page.withCount ? `, count(*) OVER (PARTITION BY t."${spec.groupColumn}")::int AS "_total"` : '';
  const cursor = page.after ? `WHERE ("paged"."_sort", "paged"."_key") ${beyond} ($3::${spec.sortType}, $4::uuid)` : '';
  const text = `SELECT "ranked".* ${spec.pageColumns ? `, ${spec.pageColumns}` : ''} FROM (
    SELECT "paged".*, ROW_NUMBER() OVER (PARTITION BY "paged"."_group" ORDER BY "paged"."_sort" ${direction}, "paged"."_key" ${direction}) AS "_position"
    FROM (
      SELECT ${spec.columns}, t."${spec.groupColumn}"::text AS "_group", t."${spec.sortColumn}" AS "_sort", t."id" AS "_key"${count}
      FROM "${spec.table}" t
      WHERE t."${spec.groupColumn}" = ANY($2::uuid[]) ${spec.rowsShown ? `AND (${spec.rowsShown})` : ''}
    ) AS "paged" ${cursor}
  ) AS "ranked" WHERE "_position" <= $1 ORDER BY "_group", "_position"`;
  return { name: `${spec.name}:${page.after ? 'after' : 'first'}:${page.withCount ? 'count' : 'rows'}`, text };
}

/** Runs groupedPageStatement: the rows on each key's page, in page order, and each key's count when asked. */
export async function queryGroupedPages<Row>(
  reads: PreparedReads,
  spec: GroupedPageSpec,
  keys: string[],
  page: PageRequest,
  toRow: (raw: Record<string, unknown>) => Row,
): Promise<GroupedRow<Row>[]> {
  const params: unknown[] = [page.first + 1, keys];
  if (page.after) params.push(page.after.value, page.after.id);
  const rows = await reads.query<Record<string, unknown>>(groupedPageStatement(spec, page), params);
  return rows.map(({ _group, _sort, _key, _total, _position, ...raw }) => ({
    group: _group as string,
    total: typeof _total === 'number' ? _total : null,
    row: toRow(raw),
  }));
}

export interface GroupedPagesOptions<Row extends { id: string }> {
  sortValue: (row: Row) => SortValue;
  /** Runs queryGroupedPages for these keys. */
  pages: (keys: string[], page: PageRequest) => Promise<GroupedRow<Row>[]>;
  /** Counts rows per key: only for a page that came back empty after a cursor (its count came with no row). */
  countByKeys: (keys: string[]) => Promise<Map<string, number>>;
}

interface PageOfKey {
  key: string;
  page: PageRequest;
  /** The page arguments as a string: requests with equal arguments share one query. */
  pageKey: string;
}

interface KeyPage<Row> {
  rows: Row[];
  total: number | null;
}

/**
 * A per-request loader of one page of a relation per key (each user's orders, each category's products).
 * All keys asked for with the same page arguments in one tick share one statement, their counts included.
 */
export function groupedPagesLoader<Row extends { id: string }>(options: GroupedPagesOptions<Row>) {
  const pages = new DataLoader<PageOfKey, KeyPage<Row>, string>(
    async (requests) => {
      const keysByPage = new Map<string, { page: PageRequest; keys: Set<string> }>();
      for (const { key, page, pageKey } of requests) {
        const entry = keysByPage.get(pageKey) ?? { page, keys: new Set<string>() };
        if (isId(key)) entry.keys.add(key);
        keysByPage.set(pageKey, entry);
      }
      const byGroup = new Map<string, KeyPage<Row>>();
      for (const [pageKey, { page, keys }] of keysByPage) {
        const found = keys.size > 0 ? await options.pages([...keys], page) : [];
        for (const { group, total, row } of found) {
          const groupKey = `${group}|${pageKey}`;
          const entry = byGroup.get(groupKey) ?? { rows: [], total };
          entry.rows.push(row);
          byGroup.set(groupKey, entry);
        }
      }
      // Rows come in page order (the database's collation decides), and so does each group's list.
      return requests.map(({ key, pageKey }) => byGroup.get(`${key}|${pageKey}`) ?? { rows: [], total: null });
    },
    { cacheKeyFn: ({ key, pageKey }) => `${key}|${pageKey}` },
  );
  const counts = new DataLoader<string, number>(async (keys) => {
    const valid = keys.filter(isId);
    const byKey = valid.length > 0 ? await options.countByKeys(valid) : new Map<string, number>();
    return keys.map((key) => byKey.get(key) ?? 0);
  });

  return async (key: string, page: PageRequest): Promise<Connection<Row>> => {
    const pageKey = JSON.stringify([page.first, page.after?.value ?? null, page.after?.id ?? null, page.withCount]);
    const { rows, total } = await pages.load({ key, page, pageKey });
    // A count came with the rows, or the key has no rows at all; no row after a cursor: counted apart.
    const counted = total ?? (page.withCount && !page.after ? 0 : null);
    const count = () => (counted !== null ? Promise.resolve(counted) : counts.load(key));
    return toConnection(rows, page, options.sortValue, count);
  };
}
