/**
 * The benchmark's data set, generated inside each service's database with generate_series: deterministic
 * (ids are md5 of a name, times count back from a fixed instant) and quick to load on PGlite and PostgreSQL.
 * Cross-service references are computed the same way on both sides, as the services would have stored them.
 */
import { createHash } from 'node:crypto';

export const SIZES = { users: 1_000, products: 5_000, categories: 10, orders: 20_000, faqs: 2_000 };
export const BENCH_PASSWORD = 'bench-password-1';
export const benchEmail = (index: number) => `bench-user-${index}@bench.test`;

const id = (kind: string, index: string) => `md5('bench-${kind}-' || ${index})::uuid`;
const at = (secondsBack: string) => `(timestamptz '2026-01-01 00:00:00+00' - (${secondsBack}) * interval '1 second')`;
const price = (product: string) => `(100 + (${product}) * 37 % 9900)`;

/** The id the data set gives the row of this kind and index (as the SQL above computes it). */
function benchId(kind: string, index: number): string {
  const hex = createHash('md5').update(`bench-${kind}-${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
export const productId = (index: number) => benchId('product', index);
export const userId = (index: number) => benchId('user', index);

/**
 * SQL per service. User 0 is an admin; user u owns orders u, u + 1000, …; order o has 1 + o % 4 items; the
 * newest products (0, 1, …) each have two FAQs (products 0–899), and 200 FAQs are general.
 */
export function datasetSql(service: string, passwordHash: string): string[] {
  const { users, products, categories, orders, faqs } = SIZES;
  switch (service) {
    case 'users':
      return [
        `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at)
         SELECT ${id('user', 'i')}, 'bench-user-' || i || '@bench.test', 'Bench User ' || i, '${passwordHash}',
                (CASE WHEN i = 0 THEN 'ADMIN' ELSE 'CUSTOMER' END)::"Role", ${at('i')}, ${at('i')}
         FROM generate_series(0, ${users - 1}) AS i`,
      ];
    case 'products':
      return [
        `INSERT INTO categories (id, slug, name, created_at)
         SELECT ${id('category', 'c')}, 'bench-' || c, 'Bench Category ' || c, ${at('c')}
         FROM generate_series(0, ${categories - 1}) AS c`,
        `INSERT INTO products (id, sku, name, description, price_amount, price_currency, stock, category_id,
                               created_at, updated_at)
         SELECT ${id('product', 'k')}, 'BENCH-' || lpad(k::text, 5, '0'), 'Bench Product ' || k,
                'Benchmark product number ' || k, ${price('k')}, 'EUR', 1000000, ${id('category', `k % ${categories}`)},
                ${at('k')}, ${at('k')}
         FROM generate_series(0, ${products - 1}) AS k`,
      ];
    case 'orders':
      return [
        `INSERT INTO orders (id, number, user_id, status, total_amount, currency, request_hash, stock_state,
                             created_at, updated_at)
         SELECT ${id('order', 'o')}, o + 1, ${id('user', `o % ${users}`)}, 'CONFIRMED', 0, 'EUR', 'bench',
                'COMMITTED', ${at('o')}, ${at('o')}
         FROM generate_series(0, ${orders - 1}) AS o`,
        `INSERT INTO order_items (id, order_id, product_id, quantity, unit_price_amount)
         SELECT ${id('order-item', `o || '-' || j`)}, ${id('order', 'o')},
                ${id('product', `(o * 7 + j * 131) % ${products}`)}, 1 + (o + j) % 3,
                ${price(`(o * 7 + j * 131) % ${products}`)}
         FROM generate_series(0, ${orders - 1}) AS o, generate_series(0, 3) AS j
         WHERE j <= o % 4`,
        `UPDATE orders SET total_amount = totals.total
         FROM (SELECT order_id, sum(quantity * unit_price_amount) AS total FROM order_items GROUP BY order_id) AS totals
         WHERE orders.id = totals.order_id`,
        // number is an identity-like serial: later orders must continue after the loaded ones
        `SELECT setval(pg_get_serial_sequence('orders', 'number'), ${orders})`,
      ];
    case 'faq':
      return [
        `INSERT INTO faqs (id, question, answer, topic, product_id, created_at, updated_at)
         SELECT ${id('faq', 'j')}, 'Bench question ' || j || '?', 'Bench answer ' || j || '.',
                (ARRAY['shipping', 'returns', 'payment', 'sizing', 'care'])[1 + j % 5],
                CASE WHEN j < ${faqs - 200} THEN ${id('product', `j % ${(faqs - 200) / 2}`)} END, ${at('j')}, ${at('j')}
         FROM generate_series(0, ${faqs - 1}) AS j`,
      ];
    default:
      return []; // a subgraph the data set knows nothing of starts empty
  }
}
