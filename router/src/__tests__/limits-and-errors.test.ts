import { ApolloServer } from '@apollo/server';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { newPipeline, type RouterContext } from '../context.js';
import { environment } from '../env.js';
import { errorPolicy } from '../error-policy.js';
import { queryLimits } from '../limits.js';

/**
 * The router's limits and its error policy, on an in-process Apollo Server as the router configures it:
 * each limit refused with its own code and message, unexpected errors masked in production, values that
 * could not be completed turned into INCOMPLETE_DATA errors that name their cause.
 */
const typeDefs = `
  type Query { node: Node nodes: [Node!]! broken: String incomplete: String }
  type Node { id: ID! child: Node name: String }
`;
const node = (depth: number): unknown => ({ id: String(depth), name: 'n', child: depth < 30 ? node(depth + 1) : null });
let apollo: ApolloServer<RouterContext>;

beforeAll(async () => {
  const env = environment.parse({ NODE_ENV: 'production', MAX_DEPTH: '4', MAX_ALIASES: '2', MAX_ROOT_FIELDS: '2' });
  const limits = queryLimits(env);
  apollo = new ApolloServer<RouterContext>({
    typeDefs,
    resolvers: {
      Query: {
        node: () => node(0),
        nodes: () => [node(0)],
        broken: () => {
          throw new Error('database password is hunter2');
        },
      },
    },
    validationRules: limits.validationRules,
    parseOptions: limits.parseOptions,
    plugins: [
      {
        // As the executor reports a value it could not complete (first: the policy reads what it wrote).
        async requestDidStart() {
          return {
            async willSendResponse({ response, request }) {
              if (response.body.kind !== 'single' || !request.query?.includes('incomplete')) return;
              response.body.singleResult.extensions = {
                valueCompletion: [{ message: 'Invalid value found for field Query.incomplete.', path: ['incomplete'] }],
              };
            },
          };
        },
      },
      errorPolicy(pino({ level: 'silent' }), true),
      ...limits.plugins,
    ],
  });
  await apollo.start();
});

async function run(query: string) {
  const contextValue: RouterContext = {
    requestId: 'r-7',
    viewer: null,
    authorization: undefined,
    pipeline: newPipeline(),
  };
  const response = await apollo.executeOperation({ query }, { contextValue });
  if (response.body.kind !== 'single') throw new Error('expected a single answer');
  return { status: response.http.status, ...response.body.singleResult };
}

const codes = (answer: { errors?: readonly { extensions?: Record<string, unknown> }[] }) =>
  answer.errors?.map((error) => error.extensions?.code);

describe('limits', () => {
  it('refuses an operation nested too deep, with its own code and message', async () => {
    const answer = await run('{ node { child { child { child { child { id } } } } } }');
    expect(codes(answer)).toEqual(['QUERY_TOO_DEEP']);
    expect(answer.errors?.[0]?.message).toMatch(/the limit is 4/);
  });

  it('refuses too many aliases and too many root fields', async () => {
    expect(codes(await run('{ a: node { id } b: node { id } c: node { id } }'))).toContain('TOO_MANY_ALIASES');
    expect(codes(await run('{ node { id } nodes { id } broken }'))).toEqual(['TOO_MANY_ROOT_FIELDS']);
  });

  it('lets an operation inside the limits through', async () => {
    expect((await run('{ node { child { id } } }')).data).toEqual({ node: { child: { id: '1' } } });
  });
});

describe('the error policy', () => {
  it('masks unexpected errors in production, naming the request id', async () => {
    const answer = await run('{ broken }');
    expect(answer.errors).toEqual([
      {
        message: 'Internal server error (request r-7)',
        path: ['broken'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: 'r-7' },
      },
    ]);
  });

  it('turns values the executor could not complete into INCOMPLETE_DATA errors that name the cause', async () => {
    const answer = await run('{ incomplete }');
    expect(answer.extensions).toBeUndefined();
    expect(answer.errors).toEqual([
      {
        message:
          'Invalid value found for field Query.incomplete: a service answered a value the API does not have (such as an enum value it hides), so it is null',
        path: ['incomplete'],
        extensions: { code: 'INCOMPLETE_DATA' },
      },
    ]);
  });
});
