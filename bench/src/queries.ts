/**
 * The headline queries. Each names the token it needs and checks the shape of an answer: every request of a
 * run must return the same body as the first one, and the first one must pass `check`.
 */
export type Viewer = 'anonymous' | 'customer' | 'admin';

export interface BenchQuery {
  name: 'Q1' | 'Q2' | 'Q3' | 'Q4';
  title: string;
  viewer: Viewer;
  query: string;
  variables: Record<string, unknown>;
  /** Throws when an answer's data does not have the expected shape and sizes. */
  check(data: unknown): void;
}

/** The first product of the data set (see dataset.ts: ids are md5 of a name). */
export const Q4_PRODUCT_ID = 'bench-product-42';

export const queries: BenchQuery[] = [
  {
    name: 'Q1',
    title: 'storefront: products(first: 20) { name price faqs }',
    viewer: 'anonymous',
    query: `query Storefront($first: Int!) {
  products(first: $first) { edges { node { id name price { amount currency } faqs { question } } } }
}`,
    variables: { first: 20 },
    check: (data) => {
      const edges = list(field(field(data, 'products'), 'edges'), 20);
      for (const edge of edges) {
        const node = field(edge, 'node');
        text(field(node, 'name'));
        int(field(field(node, 'price'), 'amount'));
        for (const faq of list(field(node, 'faqs'), 2)) text(field(faq, 'question'));
      }
    },
  },
  {
    name: 'Q2',
    title: 'order history: me { orders(first: 20) { items { product { name price } } } }',
    viewer: 'customer',
    query: `query OrderHistory($first: Int!) {
  me { orders(first: $first) { edges { node { number items { quantity product { name price { amount currency } } } } } } }
}`,
    variables: { first: 20 },
    check: (data) => {
      const edges = list(field(field(field(data, 'me'), 'orders'), 'edges'), 20);
      for (const edge of edges) {
        for (const item of nonEmpty(field(field(edge, 'node'), 'items'))) {
          text(field(field(item, 'product'), 'name'));
          int(field(field(field(item, 'product'), 'price'), 'amount'));
        }
      }
    },
  },
  {
    name: 'Q3',
    title: 'deep: orders → user → orders → items → product → faqs',
    viewer: 'admin',
    query: `query Deep($first: Int!, $perUser: Int!) {
  orders(first: $first) { edges { node { number user { name orders(first: $perUser) { edges { node {
    number items { quantity product { name faqs { question } } } } } } } } } }
}`,
    variables: { first: 10, perUser: 5 },
    check: (data) => {
      const edges = list(field(field(data, 'orders'), 'edges'), 10);
      for (const edge of edges) {
        const user = field(field(edge, 'node'), 'user');
        text(field(user, 'name'));
        for (const own of list(field(field(user, 'orders'), 'edges'), 5)) {
          for (const item of nonEmpty(field(field(own, 'node'), 'items'))) {
            text(field(field(item, 'product'), 'name'));
            if (!Array.isArray(field(field(item, 'product'), 'faqs'))) throw new Error('product.faqs is not a list');
          }
        }
      }
    },
  },
  {
    name: 'Q4',
    title: 'single subgraph: product(id) { name price }',
    viewer: 'anonymous',
    query: `query Product($id: ID!) { product(id: $id) { id name price { amount currency } } }`,
    variables: { id: '' }, // set to the id of Q4_PRODUCT_ID by main.ts
    check: (data) => {
      text(field(field(data, 'product'), 'name'));
    },
  },
];

function field(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || !(name in value)) throw new Error(`missing field ${name}`);
  const found = (value as Record<string, unknown>)[name];
  if (found === null || found === undefined) throw new Error(`${name} is null`);
  return found;
}

function list(value: unknown, length: number): unknown[] {
  if (!Array.isArray(value) || value.length !== length) {
    throw new Error(`expected a list of ${length}, got ${Array.isArray(value) ? value.length : typeof value}`);
  }
  return value;
}

function nonEmpty(value: unknown): unknown[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error('expected a non-empty list');
  return value;
}

function text(value: unknown): void {
  if (typeof value !== 'string' || value.length === 0) throw new Error(`expected a string, got ${typeof value}`);
}

function int(value: unknown): void {
  if (!Number.isInteger(value)) throw new Error(`expected an integer, got ${typeof value}`);
}
