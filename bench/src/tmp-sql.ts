import { PGlite } from '@electric-sql/pglite';

const p = await PGlite.create('/tmp/benchdata/data/products');
const f = await PGlite.create('/tmp/benchdata/data/faq');
async function time(db: PGlite, label: string, sql: string, params: unknown[] = []) {
  for (let i = 0; i < 20; i++) await db.query(sql, params);
  const t = performance.now();
  const n = 200;
  for (let i = 0; i < n; i++) await db.query(sql, params);
  console.log(label, ((performance.now() - t) / n).toFixed(3), 'ms');
}
await time(p, 'select 1', 'select 1');
await time(p, 'products newest', 'SELECT * FROM products ORDER BY created_at DESC, id DESC LIMIT 21');
const ids = (
  await p.query<{ id: string }>('SELECT id FROM products ORDER BY created_at DESC, id DESC LIMIT 20')
).rows.map((r) => r.id);
await time(p, 'product by id', 'SELECT * FROM products WHERE id = ANY($1::uuid[])', [[ids[0]]]);
await time(f, 'faqs by product', 'SELECT * FROM faqs WHERE product_id = ANY($1::uuid[]) ORDER BY created_at, id', [
  ids,
]);
console.log((await p.query('EXPLAIN ANALYZE SELECT * FROM products ORDER BY created_at DESC, id DESC LIMIT 21')).rows);
console.log(
  (
    await f.query('EXPLAIN ANALYZE SELECT * FROM faqs WHERE product_id = ANY($1::uuid[]) ORDER BY created_at, id', [
      ids,
    ])
  ).rows,
);
