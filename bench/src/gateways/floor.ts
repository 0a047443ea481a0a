/**
 * The floor: no gateway, only each headline query's subgraph fetches, issued in the order of its query plan
 * (as `npm run bench` prints it) by a minimal client over Node's keep-alive fetch. No parsing, validation,
 * planning or response shaping: what is left is the subgraphs' own time plus one HTTP hop per fetch.
 * Answers keep the fetches' extra `__typename`/`id` fields; the shape checks allow them.
 */
import { createServer } from 'node:http';
import { type BenchQuery, queries } from '../queries.js';

type Json = Record<string, unknown>;
type Service = 'users' | 'products' | 'orders' | 'faq';

const urls: Record<Service, string> = {
  users: process.env.USERS_URL as string,
  products: process.env.PRODUCTS_URL as string,
  orders: process.env.ORDERS_URL as string,
  faq: process.env.FAQ_URL as string,
};

async function fetchSubgraph(service: Service, query: string, variables: Json, authorization?: string): Promise<Json> {
  const response = await fetch(urls[service], {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Json; errors?: { message: string }[] };
  if (!body.data || body.errors) throw new Error(`${service}: ${body.errors?.[0]?.message ?? response.status}`);
  return body.data;
}

/** The objects at a plan path such as `products.edges.@.node` (`@`: every element of a list). */
function objectsAt(root: Json, path: string): Json[] {
  let current: unknown[] = [root];
  for (const step of path.split('.')) {
    current = step === '@' ? current.flat() : current.map((value) => (value as Json)[step]);
  }
  return current as Json[];
}

/**
 * One `_entities` fetch for the objects at a path; each id is sent once, as gateways do. Returns the merge,
 * so fetches that run in parallel are merged in a fixed order (the answer's bytes must not vary).
 */
async function fetchEntities(
  service: Service,
  objects: Json[],
  typename: string,
  selection: string,
  request: { authorization?: string; variables?: Json; variableDefinitions?: string },
): Promise<() => void> {
  const ids = [...new Set(objects.map((object) => object.id as string))];
  const query = `query ($representations: [_Any!]!${request.variableDefinitions ?? ''}) {
    _entities(representations: $representations) { ... on ${typename} { ${selection} } } }`;
  const representations = ids.map((id) => ({ __typename: typename, id }));
  const data = await fetchSubgraph(service, query, { ...request.variables, representations }, request.authorization);
  const resolved = new Map(ids.map((id, index) => [id, (data._entities as Json[])[index]]));
  return () => {
    for (const object of objects) Object.assign(object, resolved.get(object.id as string));
  };
}

const resolveEntities = async (...args: Parameters<typeof fetchEntities>) => (await fetchEntities(...args))();

type Plan = (variables: Json, authorization?: string) => Promise<Json>;

const plans: Record<BenchQuery['name'], Plan> = {
  Q1: async (variables) => {
    const data = await fetchSubgraph(
      'products',
      'query ($first: Int!) { products(first: $first) { edges { node { __typename id name price { amount currency } } } } }',
      variables,
    );
    await resolveEntities('faq', objectsAt(data, 'products.edges.@.node'), 'Product', 'faqs { question }', {});
    return data;
  },
  Q2: async (variables, authorization) => {
    const data = await fetchSubgraph('users', '{ me { __typename id } }', {}, authorization);
    await resolveEntities(
      'orders',
      [data.me as Json],
      'User',
      'orders(first: $first) { edges { node { number items { quantity product { __typename id } } } } }',
      { authorization, variables, variableDefinitions: ', $first: Int!' },
    );
    const products = objectsAt(data, 'me.orders.edges.@.node.items.@.product');
    await resolveEntities('products', products, 'Product', 'name price { amount currency }', { authorization });
    return data;
  },
  Q3: async (variables, authorization) => {
    const data = await fetchSubgraph(
      'orders',
      `query ($first: Int!, $perUser: Int!) { orders(first: $first) { edges { node { number user { __typename id
        orders(first: $perUser) { edges { node { number items { quantity product { __typename id } } } } } } } } } }`,
      variables,
      authorization,
    );
    const products = objectsAt(data, 'orders.edges.@.node.user.orders.edges.@.node.items.@.product');
    const merges = await Promise.all([
      fetchEntities('users', objectsAt(data, 'orders.edges.@.node.user'), 'User', 'name', { authorization }),
      fetchEntities('faq', products, 'Product', 'faqs { question }', { authorization }),
      fetchEntities('products', products, 'Product', 'name', { authorization }),
    ]);
    for (const merge of merges) merge();
    return data;
  },
  Q4: (variables) =>
    fetchSubgraph('products', 'query ($id: ID!) { product(id: $id) { id name price { amount currency } } }', variables),
};

const planByQuery = new Map(queries.map((query) => [query.query, plans[query.name]]));

const server = createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  let status = 200;
  let body: Json;
  try {
    const { query, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      query: string;
      variables: Json;
    };
    const plan = planByQuery.get(query);
    if (!plan) throw new Error('the floor only runs the headline queries');
    body = { data: await plan(variables ?? {}, request.headers.authorization) };
  } catch (error) {
    console.error(error);
    status = 500;
    body = { errors: [{ message: (error as Error).message }] };
  }
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
});
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
