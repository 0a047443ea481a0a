import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApolloServer } from '@apollo/server';
import { Repeater } from '@repeaterjs/repeater';
import { type Admission, eventStreamHandler, requestIdOf } from '@shop/platform';
import {
  type DocumentNode,
  type ExecutionResult,
  type FormattedExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  getOperationAST,
  type OperationDefinitionNode,
  parse,
  specifiedRules,
  type ValidationRule,
  validate,
} from 'graphql';
import { useServer as serveOverWebSocket } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { RouterContext } from './context.js';
import type { SubscriptionRequest } from './executor/plan-executor.js';

/**
 * Subscriptions (and any other operation) as streams, README: "Subscriptions": GraphQL over Server-Sent Events
 * (graphql-sse, at the GraphQL paths with `Accept: text/event-stream`) and over WebSocket (graphql-ws, the
 * `graphql-transport-ws` subprotocol, at the same paths). Both go through what HTTP requests go through: the
 * persisted operations and the safelist, the parser's token cap, validation with the query limits, the same
 * token check (the `Authorization` header; over WebSocket, `authorization` in the connection parameters), and
 * the same error policy. Queries and mutations sent this way run through Apollo Server as a POST would.
 */
export interface StreamOptions {
  /** The API schema served now. */
  schema: () => GraphQLSchema;
  subscribe: (request: SubscriptionRequest) => AsyncIterable<ExecutionResult> | ExecutionResult;
  apollo: ApolloServer<RouterContext>;
  validationRules: readonly ValidationRule[];
  maxTokens: number;
  admit: ((request: Record<string, unknown>) => Admission) | null;
  /** The router's context for a caller; throws a GraphQLError for a token it refuses. */
  contextOf: (request: IncomingMessage, requestId: string, authorization: string | undefined) => Promise<RouterContext>;
  /** Errors as the client sees them (Apollo's formatting and the error policy). */
  format: (result: ExecutionResult, requestId: string) => FormattedExecutionResult;
  graphqlPaths: string[];
}

/** An operation sent over a stream: what graphql-sse and graphql-ws hand over. */
interface StreamedOperation {
  query?: unknown;
  operationName?: unknown;
  variables?: unknown;
  extensions?: unknown;
}

export function streamTransports(options: StreamOptions) {
  const rules = [...specifiedRules, ...options.validationRules];
  const refusal = (message: string, code: string): ExecutionResult => ({
    errors: [new GraphQLError(message, { extensions: { code } })],
  });

  /** Admits, parses, validates and runs one operation: its results as a stream, or the refusal. */
  async function run(
    sent: StreamedOperation,
    authorization: string | undefined,
    request: IncomingMessage,
  ): Promise<AsyncIterable<FormattedExecutionResult> | FormattedExecutionResult> {
    const requestId = requestIdOf(request);
    const result = await start(sent, authorization, request, requestId);
    if (Symbol.asyncIterator in result) {
      const results = result as AsyncIterable<ExecutionResult>;
      return new Repeater<FormattedExecutionResult>(async (push, stop) => {
        const iterator = results[Symbol.asyncIterator]();
        void stop.then(() => iterator.return?.());
        for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
          await push(options.format(next.value, requestId));
        }
        stop();
      });
    }
    return options.format(result as ExecutionResult, requestId);
  }

  async function start(
    sent: StreamedOperation,
    authorization: string | undefined,
    request: IncomingMessage,
    requestId: string,
  ): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
    let body = sent as Record<string, unknown>;
    if (options.admit) {
      const admission = options.admit(body);
      if (!admission.ok) return refusal(admission.message, admission.code);
      body = admission.body;
    }
    const { query, operationName, variables } = body;
    if (typeof query !== 'string') return refusal('send the operation as query (or a persisted one)', 'BAD_REQUEST');
    let document: DocumentNode;
    try {
      document = parse(query, { maxTokens: options.maxTokens });
    } catch (error) {
      return refusal((error as Error).message, 'GRAPHQL_PARSE_FAILED');
    }
    const invalid = validate(options.schema(), document, rules);
    if (invalid.length > 0) {
      return { errors: invalid.map((error) => withCode(error, 'GRAPHQL_VALIDATION_FAILED')) };
    }
    const name = typeof operationName === 'string' ? operationName : undefined;
    const operation = getOperationAST(document, name) as OperationDefinitionNode | null;
    if (!operation) return refusal('the document has no such operation', 'BAD_REQUEST');
    let context: RouterContext;
    try {
      context = await options.contextOf(request, requestId, authorization);
    } catch (error) {
      if (error instanceof GraphQLError) return { errors: [error] };
      throw error;
    }
    const values = (typeof variables === 'object' && variables !== null ? variables : {}) as Record<string, unknown>;
    if (operation.operation === 'subscription') {
      return options.subscribe({ document, operation, variables: values, context });
    }
    const response = await options.apollo.executeOperation(
      { query, variables: values, ...(name ? { operationName: name } : {}) },
      { contextValue: context },
    );
    if (response.body.kind !== 'single') return refusal('incremental answers are sent over HTTP only', 'BAD_REQUEST');
    return response.body.singleResult as ExecutionResult;
  }

  const eventStream = eventStreamHandler({
    // First, so graphql-sse sees the document of a persisted operation sent by its hash.
    admit: options.admit,
    onSubscribe: async (request, params) => {
      const result = await run(params, request.raw.headers.authorization, request.raw);
      // graphql-sse takes a result only with `data` (else it plans the operation itself and fails): a refusal
      // (invalid, unauthorized, rate limited) goes out as one event with `data: null`.
      const sent = Symbol.asyncIterator in result || 'data' in result ? result : { data: null, ...result };
      return sent as unknown as ExecutionResult;
    },
  });

  const webSockets = new WebSocketServer({ noServer: true });
  let closing: Promise<void> | null = null;
  const sockets = serveOverWebSocket<Record<string, unknown>>(
    {
      onConnect: async ({ connectionParams, extra }) => {
        // A token that does not verify closes the connection (4403): nothing runs with it.
        const authorization = authorizationOf(connectionParams);
        if (!authorization) return true;
        return options.contextOf(extra.request, requestIdOf(extra.request), authorization).then(
          () => true,
          () => false,
        );
      },
      onSubscribe: async ({ connectionParams, extra }, _id, payload) => {
        const result = await run(payload, authorizationOf(connectionParams), extra.request);
        // graphql-ws runs what it is given: our stream, or the one result as a stream of one.
        const stream = Symbol.asyncIterator in result ? result : oneResult(result as FormattedExecutionResult);
        return { schema: options.schema(), document: STREAM, contextValue: stream };
      },
      subscribe: (args) => args.contextValue as AsyncIterable<ExecutionResult>,
      // Sent as they are: their errors are already formatted (graphql-ws would call toJSON on each).
      onNext: (_context, _id, _payload, _args, result) => result as FormattedExecutionResult,
    },
    webSockets,
  );

  /** A WebSocket upgrade at a GraphQL path joins graphql-ws; anything else is refused. */
  function upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (!options.graphqlPaths.includes(path)) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    webSockets.handleUpgrade(request, socket, head, (client) => webSockets.emit('connection', client, request));
  }

  return {
    eventStream,
    upgrade,
    /** Ends every stream and closes every WebSocket (clients subscribe again elsewhere, resuming with `after`). */
    close: () => {
      eventStream.endAll();
      for (const client of webSockets.clients) client.close(1001, 'the router is stopping');
      closing ??= Promise.resolve(sockets.dispose());
      return closing;
    },
  };
}

/** What graphql-ws is handed to run: a subscription (it calls `subscribe`, which answers the stream made). */
const STREAM = parse('subscription { __typename }');

function authorizationOf(parameters: Readonly<Record<string, unknown>> | undefined): string | undefined {
  const value = parameters?.authorization ?? parameters?.Authorization;
  return typeof value === 'string' ? value : undefined;
}

function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, { nodes: error.nodes, extensions: { ...error.extensions, code } });
}

async function* oneResult(result: FormattedExecutionResult) {
  yield result;
}
