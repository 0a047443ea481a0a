import type { PGlite } from '@electric-sql/pglite';
import { withClientSpan } from '@shop/platform';
import type pg from 'pg';
import { serialize } from 'pg-protocol';

/**
 * A hot read written as SQL: one statement, parameterised, named so that each connection parses and plans it
 * once. Repositories declare these as constants; the name is unique per service.
 */
export interface ReadStatement {
  name: string;
  text: string;
}

/**
 * The reads that answer most requests, without Prisma's per-query compilation and mapping: a named prepared
 * statement on PostgreSQL (node-postgres prepares it once per pooled connection), and on PGlite the same
 * extended protocol in one call into WebAssembly (bind, execute, sync) instead of six with a new plan each time.
 * Prisma stays the source of the schema, the migrations, the writes and the transactions; these run outside
 * any transaction (on PGlite they wait for one to finish, as every other query does).
 * Rows come back as the database types them: use int4, text, bool, timestamptz and json columns (cast counts
 * with ::int), which both drivers turn into the same JavaScript values.
 */
export interface PreparedReads {
  query<Row>(statement: ReadStatement, params: readonly unknown[]): Promise<Row[]>;
  /** Called with each statement's SQL as it is sent (the statement counters of /metrics and the tests). */
  onStatement(listener: (sql: string) => void): void;
}

function readsWith(run: (statement: ReadStatement, params: unknown[]) => Promise<unknown[]>): PreparedReads {
  const listeners: ((sql: string) => void)[] = [];
  return {
    query: async <Row>(statement: ReadStatement, params: readonly unknown[]) => {
      for (const listener of listeners) listener(statement.text);
      // A span per statement, as Prisma's instrumentation makes for its own (named alike: `db_query`).
      const attributes = {
        'db.system': 'postgresql',
        'db.query.text': statement.text,
        'db.statement.name': statement.name,
      };
      return (await withClientSpan(`db_query ${statement.name}`, attributes, () =>
        run(statement, params.map(toParameter)),
      )) as Row[];
    },
    onStatement: (listener) => void listeners.push(listener),
  };
}

export function postgresReads(pool: pg.Pool): PreparedReads {
  return readsWith(
    async ({ name, text }, values) => (await pool.query({ name, text, values: values as unknown[] })).rows,
  );
}

interface Field {
  name: string;
  parse: (text: string) => unknown;
}

/** PGlite runs one session: a statement is parsed (and described) once, then bound and executed by name. */
export function pgliteReads(db: PGlite): PreparedReads {
  const prepared = new Map<string, Field[]>();
  const send = (...messages: Uint8Array[]) => db.execProtocolStream(concat(messages), { syncToFs: false });

  async function fieldsOf({ name, text }: ReadStatement): Promise<Field[]> {
    const known = prepared.get(name);
    if (known) return known;
    const messages = await send(
      serialize.parse({ name, text }),
      serialize.describe({ type: 'S', name }),
      serialize.sync(),
    );
    const description = messages.find((message) => message.name === 'rowDescription') as
      | { fields: { name: string; dataTypeID: number }[] }
      | undefined;
    const fields = (description?.fields ?? []).map((field) => ({
      name: field.name,
      parse: db.parsers[field.dataTypeID] ?? ((value: string) => value),
    }));
    prepared.set(name, fields);
    return fields;
  }

  return readsWith((statement, values) =>
    // The transaction lock first: a read never lands inside another caller's open transaction.
    db._runExclusiveTransaction(() =>
      db._runExclusiveQuery(async () => {
        const fields = await fieldsOf(statement);
        const messages = await send(
          serialize.bind({ statement: statement.name, values: values as (string | null)[] }),
          serialize.execute({}),
          serialize.sync(),
        );
        const rows: Record<string, unknown>[] = [];
        for (const message of messages) {
          if (message.name !== 'dataRow') continue;
          const row: Record<string, unknown> = {};
          (message as unknown as { fields: (string | null)[] }).fields.forEach((value, index) => {
            const field = fields[index] as Field;
            row[field.name] = value === null ? null : field.parse(value);
          });
          rows.push(row);
        }
        return rows;
      }),
    ),
  );
}

/** Parameters as PostgreSQL's text format reads them (arrays as array literals). */
function toParameter(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) {
    return `{${value.map((item) => (item === null ? 'NULL' : `"${String(item).replace(/["\\]/g, '\\$&')}"`)).join(',')}}`;
  }
  return String(value);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return all;
}
