import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ApolloServerPlugin } from '@apollo/server';
import type { Route } from '@shop/platform';

const requireAsset = createRequire(import.meta.url);

/** GraphiQL and React from local npm packages: the explorer works offline and loads nothing from a CDN. */
const ASSETS: Record<string, { packageName: string; file: string; type: string }> = {
  '/explorer/react.js': { packageName: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  '/explorer/react-dom.js': {
    packageName: 'react-dom',
    file: 'umd/react-dom.production.min.js',
    type: 'text/javascript',
  },
  '/explorer/graphiql.js': { packageName: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  '/explorer/graphiql.css': { packageName: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

export const EXAMPLE_QUERY = `# Shop Supergraph explorer. Run "Storefront" as it is: products and their FAQs (two services).
# For your orders (all four services): run "LogIn" with the development credentials, put the token in the
# Headers tab as {"Authorization": "Bearer <token>"}, then run "MyOrders".

query Storefront {
  products(first: 5) {
    edges {
      node {
        name
        price { amount currency }
        category { name }
        faqs { question }
      }
    }
  }
}

mutation LogIn {
  logIn(email: "ada@shop.test", password: "shop-customer-dev") { token }
}

query MyOrders {
  me {
    name
    orders(first: 5) {
      edges {
        node {
          number
          status
          total { amount currency }
          items {
            quantity
            product { name faqs { question } }
          }
        }
      }
    }
  }
}
`;

/** Inline, so the browser asks the router for no /favicon.ico. */
const FAVICON = `data:image/svg+xml,${encodeURIComponent(
  "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' rx='3' fill='#e10098'/><path d='M4 6h8l-1 6H5z' fill='#fff'/></svg>",
)}`;

function page(endpoint: string): string {
  const config = JSON.stringify({ endpoint, query: EXAMPLE_QUERY }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop Supergraph explorer</title>
  <link rel="icon" href="${FAVICON}">
  <link rel="stylesheet" href="/explorer/graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the explorer…</div>
  <script src="/explorer/react.js"></script>
  <script src="/explorer/react-dom.js"></script>
  <script src="/explorer/graphiql.js"></script>
  <script>
    const config = ${config};
    const fetcher = GraphiQL.createFetcher({ url: config.endpoint });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, { fetcher, defaultQuery: config.query, defaultEditorToolsVisibility: true }),
    );
  </script>
</body>
</html>`;
}

/** Apollo Server's landing page (GET with Accept: text/html) becomes the local GraphiQL. */
export function explorerPlugin(endpoint: string): ApolloServerPlugin {
  const html = page(endpoint);
  return {
    async serverWillStart() {
      return { renderLandingPage: async () => ({ html }) };
    },
  };
}

export const explorerAssetRoutes: Record<string, Route> = Object.fromEntries(
  Object.entries(ASSETS).map(([route, asset]) => {
    let body: Buffer | undefined; // read on first use, then kept
    const serve: Route = (_request, response) => {
      // Resolved from the package root: packages' export maps do not list their UMD bundles.
      body ??= readFileSync(
        path.join(path.dirname(requireAsset.resolve(`${asset.packageName}/package.json`)), asset.file),
      );
      response.writeHead(200, {
        'content-type': `${asset.type}; charset=utf-8`,
        'cache-control': 'public, max-age=86400',
      });
      response.end(body);
    };
    return [route, serve];
  }),
);
