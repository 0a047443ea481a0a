import DataLoader from 'dataloader';
import { isId } from './loaders.js';
import { type Connection, type PageRequest, type SortValue, toConnection } from './pagination.js';

/** What a raw SQL query needs to know about a paginated relation, e.g. the orders of each user. */
export interface GroupedPageSpec {
  table: string;
  groupColumn: string;
  sortColumn: string;
  sortType: 'timestamptz' | 'text' | 'int4';
  direction: 'asc' | 'desc';
  /** Which rows belong in pages at all, as SQL written in code (e.g. `"archived_at" IS NULL`); all by default. */
  rowsShown?: string;
}

/**
 * One SQL statement that finds, for every group key, the ids of the first `first + 1` rows after the cursor:
 * a window function numbers each group's rows in page order. Identifiers come from code, values are bound.
 */
export function groupedPageIdsSql(
  spec: GroupedPageSpec,
  keys: string[],
  page: PageRequest,
): { sql: string; params: unknown[] } {
  const beyond = spec.direction === 'asc' ? '>' : '<';
  const params: unknown[] = [page.first + 1, keys];
  let cursorCondition = '';
  if (page.after) {
    params.push(page.after.value, page.after.id);
    cursorCondition = `AND ("${spec.sortColumn}", "id") ${beyond} ($3::${spec.sortType}, $4::uuid)`;
  }
  const sql = `SELECT "group", "id" FROM (
    SELECT "${spec.groupColumn}"::text AS "group", "id"::text AS "id",
           ROW_NUMBER() OVER (PARTITION BY "${spec.groupColumn}" ORDER BY "${spec.sortColumn}" ${spec.direction}, "id" ${spec.direction}) AS "position"
    FROM "${spec.table}"
    WHERE "${spec.groupColumn}" = ANY($2::uuid[]) ${cursorCondition} ${spec.rowsShown ? `AND (${spec.rowsShown})` : ''}
  ) AS ranked WHERE "position" <= $1 ORDER BY "group", "position"`;
  return { sql, params };
}

/** Runs groupedPageIdsSql on a Prisma client: the ids on each key's page, in page order, in one statement. */
export function queryGroupedPageIds(
  prisma: { $queryRawUnsafe<T>(query: string, ...values: unknown[]): Promise<T> },
  spec: GroupedPageSpec,
  keys: string[],
  page: PageRequest,
): Promise<{ group: string; id: string }[]> {
  const { sql, params } = groupedPageIdsSql(spec, keys, page);
  return prisma.$queryRawUnsafe<{ group: string; id: string }[]>(sql, ...params);
}

export interface GroupedPagesOptions<Row extends { id: string }> {
  sortValue: (row: Row) => SortValue;
  /** Runs groupedPageIdsSql for these keys. */
  pageIds: (keys: string[], page: PageRequest) => Promise<{ group: string; id: string }[]>;
  /** Loads the rows for those ids in one query. */
  rowsByIds: (ids: string[]) => Promise<Row[]>;
  /** Counts rows per key in one query (only when a client asks for totalCount). */
  countByKeys: (keys: string[]) => Promise<Map<string, number>>;
}

interface PageOfKey {
  key: string;
  page: PageRequest;
  /** The page arguments as a string: requests with equal arguments share one query. */
  pageKey: string;
}

/**
 * A per-request loader of one page of a relation per key (each user's orders, each category's products).
 * All keys asked for with the same page arguments in one tick share two queries, not two per key.
 */
export function groupedPagesLoader<Row extends { id: string }>(options: GroupedPagesOptions<Row>) {
  const pages = new DataLoader<PageOfKey, Row[], string>(
    async (requests) => {
      const keysByPage = new Map<string, { page: PageRequest; keys: Set<string> }>();
      for (const { key, page, pageKey } of requests) {
        const entry = keysByPage.get(pageKey) ?? { page, keys: new Set<string>() };
        if (isId(key)) entry.keys.add(key);
        keysByPage.set(pageKey, entry);
      }
      const rowsByGroup = new Map<string, Row[]>();
      for (const [pageKey, { page, keys }] of keysByPage) {
        const found = keys.size > 0 ? await options.pageIds([...keys], page) : [];
        const rows = found.length > 0 ? await options.rowsByIds(found.map((entry) => entry.id)) : [];
        const rowById = new Map(rows.map((row) => [row.id, row]));
        for (const { group, id } of found) {
          const row = rowById.get(id);
          if (!row) continue;
          const groupKey = `${group}|${pageKey}`;
          const list = rowsByGroup.get(groupKey);
          if (list) list.push(row);
          else rowsByGroup.set(groupKey, [row]);
        }
      }
      // `found` is in page order (the database's collation decides), and so is each group's list.
      return requests.map(({ key, pageKey }) => rowsByGroup.get(`${key}|${pageKey}`) ?? []);
    },
    { cacheKeyFn: ({ key, pageKey }) => `${key}|${pageKey}` },
  );
  const counts = new DataLoader<string, number>(async (keys) => {
    const valid = keys.filter(isId);
    const byKey = valid.length > 0 ? await options.countByKeys(valid) : new Map<string, number>();
    return keys.map((key) => byKey.get(key) ?? 0);
  });

  return async (key: string, page: PageRequest): Promise<Connection<Row>> => {
    const pageKey = JSON.stringify([page.first, page.after?.value ?? null, page.after?.id ?? null]);
    const rows = await pages.load({ key, page, pageKey });
    return toConnection(rows, page, options.sortValue, () => counts.load(key));
  };
}
