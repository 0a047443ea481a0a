/**
 * Stock Apollo Gateway: Apollo Server 5 + @apollo/gateway with default settings on the bench supergraph.
 * The one addition is forwarding the caller's Authorization header, without which `me` cannot work; the
 * supergraph goes in as Apollo Gateway takes it (`forApolloGateway`: without the security features it refuses).
 */
import { readFileSync } from 'node:fs';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { forApolloGateway } from '@shop/router/gateway';

interface Context {
  authorization?: string | undefined;
}

const gateway = new ApolloGateway({
  supergraphSdl: forApolloGateway(readFileSync(process.env.SUPERGRAPH_FILE as string, 'utf8')),
  buildService: ({ url }) =>
    new RemoteGraphQLDataSource<Context>({
      url,
      willSendRequest({ request, context }) {
        if (context.authorization) request.http?.headers.set('authorization', context.authorization);
      },
    }),
});
const server = new ApolloServer<Context>({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env.PORT), host: '127.0.0.1' },
  context: async ({ req }) => ({ authorization: req.headers.authorization }),
});
console.log(`stock Apollo Gateway at ${url}`);
