import type { IncomingMessage, ServerResponse } from 'node:http';
import { isInternalToken, sendJson } from '@shop/platform';

/**
 * The committed changes of a subgraph's database, for the routers' caches (README: "Cache").
 *
 * Triggers on the tables behind the API record every row change in `cache_changes`, in the transaction that
 * makes it (so mutations, saga steps, the recovery sweep, closures and hand-run SQL are all recorded, and a
 * rolled-back change never is), with the writer's transaction id and the row's API-visible columns before and
 * after. The subgraph turns each into tags (its `changeTags`, with the shared tag format) when a router asks.
 *
 * Positions are transaction ids, not insertion order: a transaction that started earlier may commit later.
 * A read returns the changes of transactions below the oldest one still running (the snapshot's xmin), all of
 * which have ended, and that xmin is where the next read starts. No commit is ever behind a position already
 * handed out.
 */
export interface RowChange {
  table: string;
  /** The row's recorded columns before the change (null: inserted) and after (null: deleted). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** A subgraph's part in caching: the types whose rows it owns, and what a row change means in tags. */
export interface CacheDescription {
  entities: string[];
  changeTags: (change: RowChange) => string[];
}

/** What `GET /changes?since=` answers. */
export interface ChangesPage {
  /** Names the change log: another one (a new database) means the router's positions mean nothing there. */
  epoch: string;
  /** Where the next read starts. */
  position: string;
  /** False when changes since `since` may be missing (pruned, a database that went back): drop everything. */
  complete: boolean;
  tags: string[];
}

/** Changes kept this long; a router that has not read for longer starts over (drops what it cached). */
export const CHANGES_KEPT_MINUTES = 10;
/** More changes than this in one read: the router is told to start over rather than apply them one by one. */
const MAX_CHANGES_PER_READ = 5_000;

interface SqlRunner {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

const READ_CHANGES = `
  WITH horizon AS (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS position)
  SELECT log.epoch::text AS epoch, log.pruned_before::text AS "prunedBefore", horizon.position::text AS position,
    (SELECT coalesce(json_agg(json_build_array(c.table_name, c.old_row, c.new_row) ORDER BY c.txid, c.seq), '[]')
       FROM (SELECT * FROM cache_changes
              WHERE $1::bigint IS NOT NULL AND txid >= $1::bigint AND txid < horizon.position
              ORDER BY txid, seq LIMIT ${MAX_CHANGES_PER_READ + 1}) c) AS changes
  FROM cache_change_log log, horizon`;

export function changesReader(prisma: SqlRunner, describe: CacheDescription) {
  async function read(since: bigint | null): Promise<ChangesPage> {
    const [row] = await prisma.$queryRawUnsafe<
      {
        epoch: string;
        prunedBefore: string;
        position: string;
        changes: [string, RowChange['before'], RowChange['after']][];
      }[]
    >(READ_CHANGES, since === null ? null : since.toString());
    if (!row) throw new Error('cache_change_log has no row: the cache_changes migration did not run');
    const position = BigInt(row.position);
    const complete =
      since === null ||
      (since >= BigInt(row.prunedBefore) && since <= position && row.changes.length <= MAX_CHANGES_PER_READ);
    const tags = new Set<string>();
    if (complete) {
      for (const [table, before, after] of row.changes) {
        for (const tag of describe.changeTags({ table, before, after })) tags.add(tag);
      }
    }
    return { epoch: row.epoch, position: row.position, complete, tags: [...tags] };
  }

  return {
    read,
    /** GET /changes?since=<position> for other services of this supergraph (the internal API token). */
    route: (internalToken: string) => async (request: IncomingMessage, response: ServerResponse) => {
      const token = request.headers['x-internal-token'];
      if (!isInternalToken(Array.isArray(token) ? token[0] : token, internalToken)) {
        return sendJson(response, 403, { error: 'the changes feed is for services with the internal API token' });
      }
      const since = new URL(request.url ?? '/', 'http://localhost').searchParams.get('since');
      if (since !== null && !/^[0-9]{1,19}$/.test(since)) {
        return sendJson(response, 400, { error: 'since must be a position a previous read answered' });
      }
      try {
        sendJson(response, 200, await read(since === null ? null : BigInt(since)));
      } catch {
        sendJson(response, 503, { error: 'the database is unavailable' });
      }
    },
    /** Forgets changes older than CHANGES_KEPT_MINUTES, remembering how far it forgot. */
    prune: () =>
      prisma.$executeRawUnsafe(`
        WITH gone AS (DELETE FROM cache_changes WHERE recorded_at < now() - interval '${CHANGES_KEPT_MINUTES} minutes' RETURNING txid)
        UPDATE cache_change_log SET pruned_before = GREATEST(pruned_before, (SELECT max(txid) + 1 FROM gone))`),
  };
}
