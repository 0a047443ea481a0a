/**
 * Traffic that looks like a shop's: many customers with their own tokens, variables drawn per request,
 * product popularity skewed like real shops (Zipf), second pages by cursor, a few percent of orders.
 * The same seeded sequence of visits goes to every target.
 *
 * Exactness: reads never touch what writes change (buyers are their own customers and buy from products the
 * reads show without stock), so every read's answer must be the same from every target: each is compared with
 * the first answer any target gave to the same request (stock Apollo Gateway is measured first). Writes are
 * checked by what they must change: the order is CONFIRMED, the product's stock is lower in the next read,
 * and the buyer's newest order is the one just placed.
 */
import { productId, SIZES, userId } from './dataset.js';

export type Operation =
  | 'catalogue'
  | 'catalogue_next_page'
  | 'product_page'
  | 'help_centre'
  | 'my_orders'
  | 'admin_customer'
  | 'place_order'
  | 'stock_after_order'
  | 'newest_order_after_order';

export interface Step {
  operation: Operation;
  query: string;
  /** Variables, possibly taken from the previous step's answer (a cursor). */
  variables: (previous: unknown) => Record<string, unknown> | null;
  /** Compared with every other target's answer to the same request (reads), or checked by `check` (writes). */
  compared: boolean;
  check?: (data: unknown, memory: Record<string, unknown>) => string | null;
}

export interface Visit {
  /** Who: an index of the data set's users (0 is the admin), or null for an anonymous visitor. */
  user: number | null;
  steps: Step[];
}

/** Readers: customers 1–300. Buyers: customers 901–960, who also read back their own orders. */
export const READERS = 300;
export const BUYERS = { first: 901, count: 60 };
/** Reads show products 0–3 999 with their stock; orders buy from products 4 000 and up, read only for checks. */
const READ_PRODUCTS = 4000;
const TOPICS = ['shipping', 'returns', 'payment', 'sizing', 'care'];
const ORDERINGS = ['NEWEST', 'NAME_ASC', 'PRICE_ASC', 'PRICE_DESC'];

const CATALOGUE = `query Catalogue($filter: ProductFilter, $orderBy: ProductOrderBy, $first: Int, $after: String) {
  products(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount edges { node { id name price { amount currency } category { name } } }
    pageInfo { hasNextPage endCursor } } }`;
const PRODUCT_PAGE = `query ProductPage($id: ID!) {
  product(id: $id) { id name description price { amount currency } stock category { name slug }
    faqs { question answer } } }`;
const HELP_CENTRE = `query HelpCentre($search: String, $topic: String, $first: Int) {
  faqs(search: $search, topic: $topic, first: $first) { totalCount edges { node { id question answer topic
    product { name } } } } }`;
const MY_ORDERS = `query MyOrders($first: Int) {
  me { name orders(first: $first) { totalCount edges { node { number status createdAt total { amount currency }
    items { quantity product { name price { amount } } } } } } } }`;
const ADMIN_CUSTOMER = `query Customer($id: ID!) {
  user(id: $id) { name email orders(first: 10) { edges { node { number status total { amount }
    items { quantity product { name } } } } } } }`;
const PLACE_ORDER = `mutation Checkout($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { number status total { amount } } }`;
const STOCK = 'query Stock($id: ID!) { product(id: $id) { stock } }';
const NEWEST_ORDER = 'query NewestOrder { me { orders(first: 1) { edges { node { number } } } } }';

/** A seeded pseudo-random generator (mulberry32): the same sequence on every run. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf-like popularity (s = 1): rank k is drawn with probability ∝ 1 / (k + 1). */
function zipf(size: number, next: () => number) {
  const cumulative: number[] = [];
  let sum = 0;
  for (let k = 0; k < size; k++) {
    sum += 1 / (k + 1);
    cumulative.push(sum);
  }
  return () => {
    const target = next() * sum;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((cumulative[middle] as number) < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

const endCursor = (data: unknown) => {
  const pageInfo = (data as { products?: { pageInfo?: { hasNextPage: boolean; endCursor: string } } }).products
    ?.pageInfo;
  return pageInfo?.hasNextPage ? pageInfo.endCursor : null;
};

/**
 * `count` visits. Shares (of visits): catalogue 40 % (a third of them go on to the next page), product page 25 %,
 * help centre 10 %, "my orders" 12 %, an admin looking at a customer 5 %, checkout 8 % (an order and the reads
 * that check it: about 5 % of requests are orders).
 */
export function shopVisits(count: number, seed = 20261130): Visit[] {
  const next = random(seed);
  const pick = <T>(values: T[]) => values[Math.floor(next() * values.length)] as T;
  const popularProduct = zipf(READ_PRODUCTS, next);
  // Popularity ranks are spread over the catalogue, not the newest products first.
  const productAt = (rank: number) => productId((rank * 7919) % READ_PRODUCTS);
  const reader = () => 1 + Math.floor(next() * READERS);
  const visits: Visit[] = [];
  let orderCount = 0;
  for (let index = 0; index < count; index++) {
    const roll = next();
    if (roll < 0.4) {
      const filter: Record<string, unknown> = {};
      if (next() < 0.4) filter.category = `bench-${Math.floor(next() * SIZES.categories)}`;
      if (next() < 0.25) {
        const low = 100 + Math.floor(next() * 50) * 100;
        Object.assign(filter, { minPrice: low, maxPrice: low + 500 + Math.floor(next() * 4) * 500 });
      }
      if (next() < 0.1) filter.search = `Product ${Math.floor(next() * 90) + 10}`;
      const variables = {
        ...(Object.keys(filter).length > 0 ? { filter } : {}),
        orderBy: pick(ORDERINGS),
        first: pick([12, 24, 24, 48]),
      };
      const steps: Step[] = [{ operation: 'catalogue', query: CATALOGUE, variables: () => variables, compared: true }];
      if (next() < 0.33) {
        steps.push({
          operation: 'catalogue_next_page',
          query: CATALOGUE,
          variables: (previous) => {
            const after = endCursor(previous);
            return after ? { ...variables, after } : null;
          },
          compared: true,
        });
      }
      visits.push({ user: next() < 0.3 ? reader() : null, steps });
    } else if (roll < 0.65) {
      const id = productAt(popularProduct());
      visits.push({
        user: next() < 0.3 ? reader() : null,
        steps: [{ operation: 'product_page', query: PRODUCT_PAGE, variables: () => ({ id }), compared: true }],
      });
    } else if (roll < 0.75) {
      const variables =
        next() < 0.5
          ? { topic: pick(TOPICS), first: 10 }
          : { search: `question ${Math.floor(next() * 200)}`, first: 10 };
      visits.push({
        user: null,
        steps: [{ operation: 'help_centre', query: HELP_CENTRE, variables: () => variables, compared: true }],
      });
    } else if (roll < 0.87) {
      const first = pick([5, 10, 10, 20]);
      visits.push({
        user: reader(),
        steps: [{ operation: 'my_orders', query: MY_ORDERS, variables: () => ({ first }), compared: true }],
      });
    } else if (roll < 0.92) {
      const customer = userId(reader());
      visits.push({
        user: 0,
        steps: [
          {
            operation: 'admin_customer',
            query: ADMIN_CUSTOMER,
            variables: () => ({ id: customer }),
            compared: true,
          },
        ],
      });
    } else {
      visits.push(checkout(BUYERS.first + (orderCount % BUYERS.count), orderCount++, next));
    }
  }
  return visits;
}

/** A buyer orders 1–3 of a product, then reads its stock (lower than before) and their newest order (this one). */
function checkout(buyer: number, order: number, next: () => number): Visit {
  const product = productId(READ_PRODUCTS + Math.floor(next() * (SIZES.products - READ_PRODUCTS)));
  const quantity = 1 + Math.floor(next() * 3);
  return {
    user: buyer,
    steps: [
      {
        operation: 'stock_after_order',
        query: STOCK,
        variables: () => ({ id: product }),
        compared: false,
        check: (data, memory) => {
          memory.stockBefore = (data as { product: { stock: number } }).product.stock;
          return null;
        },
      },
      {
        operation: 'place_order',
        query: PLACE_ORDER,
        // The runner puts the target and pass before the key, so each target places its own orders.
        variables: () => ({ input: { items: [{ productId: product, quantity }] }, key: `order-${order}` }),
        compared: false,
        check: (data, memory) => {
          const placed = (data as { placeOrder: { number: string; status: string } }).placeOrder;
          memory.number = placed.number;
          return placed.status === 'CONFIRMED' ? null : `order ${placed.number} is ${placed.status}`;
        },
      },
      {
        operation: 'stock_after_order',
        query: STOCK,
        variables: () => ({ id: product }),
        compared: false,
        check: (data, memory) => {
          const stock = (data as { product: { stock: number } }).product.stock;
          return stock <= (memory.stockBefore as number) - quantity
            ? null
            : `stock ${stock} after ordering ${quantity} of ${memory.stockBefore}: a stale answer`;
        },
      },
      {
        operation: 'newest_order_after_order',
        query: NEWEST_ORDER,
        variables: () => ({}),
        compared: false,
        check: (data, memory) => {
          const newest = (data as { me: { orders: { edges: { node: { number: string } }[] } } }).me.orders.edges[0];
          return newest?.node.number === memory.number
            ? null
            : `newest order ${newest?.node.number} right after placing ${memory.number}: a stale answer`;
        },
      },
    ],
  };
}
