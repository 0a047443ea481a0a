/**
 * Each subgraph's hot fetches sent to it directly, without a gateway: the fetches the realistic mix's plans send
 * most (catalogue pages, products and FAQs by reference, a user's orders, the viewer), one after another for a
 * few seconds each, with CPU, SQL statements and latency per fetch, so each subgraph's distance to its floor is
 * visible, and the same against the baseline ref's subgraphs.
 */
import { productId, userId } from './dataset.js';
import { round } from './load.js';

export interface SubgraphFetch {
  name: string;
  service: string;
  query: string;
  variables: Record<string, unknown>;
  /** Sent as this data-set user (a token), or anonymously. */
  user: number | null;
}

const products = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({ __typename: 'Product', id: productId(from + index * 37) }));

export const SUBGRAPH_FETCHES: SubgraphFetch[] = [
  {
    name: 'catalogue page (root, with count and categories)',
    service: 'products',
    query: `query ($first: Int) { products(first: $first, orderBy: PRICE_ASC) { totalCount
      edges { node { id name price { amount currency } category { name } } } pageInfo { hasNextPage endCursor } } }`,
    variables: { first: 24 },
    user: null,
  },
  {
    name: '10 products by reference',
    service: 'products',
    query: `query ($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Product { id name price { amount currency } stock } } }`,
    variables: { representations: products(3, 10) },
    user: null,
  },
  {
    name: 'FAQs of a product by reference',
    service: 'faq',
    query: `query ($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on Product { faqs { question answer } } } }`,
    variables: { representations: products(11, 1) },
    user: null,
  },
  {
    name: 'FAQ page by topic (root, with count)',
    service: 'faq',
    query: `query { faqs(topic: "shipping", first: 10) { totalCount edges { node { id question answer topic } } } }`,
    variables: {},
    user: null,
  },
  {
    name: "a user's orders with items and count by reference",
    service: 'orders',
    query: `query ($representations: [_Any!]!) { _entities(representations: $representations) {
      ... on User { orders(first: 10) { totalCount edges { node { number status createdAt total { amount currency }
      items { quantity product { id } } } } } } } }`,
    variables: { representations: [{ __typename: 'User', id: userId(7) }] },
    user: 7,
  },
  {
    name: 'the viewer (root)',
    service: 'users',
    query: 'query { me { id name } }',
    variables: {},
    user: 7,
  },
];

export interface FetchResult {
  fetches: number;
  p50_ms: number;
  cpu_ms_per_fetch: number;
  sql_per_fetch: number;
}

/**
 * Sends `fetch` to its subgraph one after another for `seconds`, after a one-second warm-up; CPU from the
 * subgraph's process, statements from its /metrics.
 */
export async function measureFetch(
  fetch: SubgraphFetch,
  target: { url: string; cpuSeconds: () => number; sqlStatements: () => Promise<number> },
  token: (user: number) => string,
  seconds: number,
): Promise<FetchResult> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (fetch.user !== null) headers.authorization = `Bearer ${token(fetch.user)}`;
  const body = JSON.stringify({ query: fetch.query, variables: fetch.variables });
  const send = async () => {
    const response = await globalThis.fetch(target.url, { method: 'POST', headers, body });
    const answer = (await response.json()) as { errors?: { message: string }[] };
    if (response.status !== 200 || answer.errors) {
      throw new Error(`${fetch.name}: HTTP ${response.status} ${JSON.stringify(answer.errors)}`);
    }
  };
  for (const until = performance.now() + 1000; performance.now() < until; ) await send();
  const sqlBefore = await target.sqlStatements();
  const cpuBefore = target.cpuSeconds();
  const latencies: number[] = [];
  for (const until = performance.now() + seconds * 1000; performance.now() < until; ) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  const cpu = target.cpuSeconds() - cpuBefore;
  const sql = (await target.sqlStatements()) - sqlBefore;
  latencies.sort((a, b) => a - b);
  return {
    fetches: latencies.length,
    p50_ms: round(latencies[Math.floor(latencies.length / 2)] ?? 0, 2),
    cpu_ms_per_fetch: round((cpu * 1000) / latencies.length, 3),
    sql_per_fetch: round(sql / latencies.length, 2),
  };
}
