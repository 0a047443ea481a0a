import DataLoader from 'dataloader';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in this graph are UUIDs; anything else cannot name a row, and must not reach a uuid column. */
export const isId = (value: string) => UUID.test(value);

/**
 * A per-request loader of rows by a unique key: all keys asked for in one tick become one query
 * (`fetch` receives each distinct key once), and each caller gets its row, or null when none exists.
 */
export function rowLoader<Row>(
  fetch: (keys: string[]) => Promise<Row[]>,
  keyOf: (row: Row) => string,
  validKey: (key: string) => boolean = isId,
): DataLoader<string, Row | null> {
  return new DataLoader(async (keys) => {
    const wanted = keys.filter(validKey);
    const rows = wanted.length > 0 ? await fetch(wanted) : [];
    const byKey = new Map(rows.map((row) => [keyOf(row), row]));
    return keys.map((key) => byKey.get(key) ?? null);
  });
}

/** A per-request loader of the rows that belong to each key (e.g. the FAQs of each product), in one query. */
export function groupLoader<Row>(
  fetch: (keys: string[]) => Promise<Row[]>,
  keyOf: (row: Row) => string | null,
): DataLoader<string, Row[]> {
  return new DataLoader(async (keys) => {
    const wanted = keys.filter(isId);
    const rows = wanted.length > 0 ? await fetch(wanted) : [];
    const groups = new Map<string, Row[]>();
    for (const row of rows) {
      const key = keyOf(row);
      if (key === null) continue;
      const group = groups.get(key);
      if (group) group.push(row);
      else groups.set(key, [row]);
    }
    return keys.map((key) => groups.get(key) ?? []);
  });
}
