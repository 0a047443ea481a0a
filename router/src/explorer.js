var __awaiter =
  (this && this.__awaiter) ||
  ((thisArg, _arguments, P, generator) => {
    function adopt(value) {
      return value instanceof P
        ? value
        : new P((resolve) => {
            resolve(value);
          });
    }
    return new (P || (P = Promise))((resolve, reject) => {
      function fulfilled(value) {
        try {
          step(generator.next(value));
        } catch (e) {
          reject(e);
        }
      }
      function rejected(value) {
        try {
          step(generator['throw'](value));
        } catch (e) {
          reject(e);
        }
      }
      function step(result) {
        result.done ? resolve(result.value) : adopt(result.value).then(fulfilled, rejected);
      }
      step((generator = generator.apply(thisArg, _arguments || [])).next());
    });
  });
var __generator =
  (this && this.__generator) ||
  ((thisArg, body) => {
    var _ = {
        label: 0,
        sent: () => {
          if (t[0] & 1) throw t[1];
          return t[1];
        },
        trys: [],
        ops: [],
      },
      f,
      y,
      t,
      g = Object.create((typeof Iterator === 'function' ? Iterator : Object).prototype);
    return (
      (g.next = verb(0)),
      (g['throw'] = verb(1)),
      (g['return'] = verb(2)),
      typeof Symbol === 'function' &&
        (g[Symbol.iterator] = function () {
          return this;
        }),
      g
    );
    function verb(n) {
      return (v) => step([n, v]);
    }
    function step(op) {
      if (f) throw new TypeError('Generator is already executing.');
      while ((g && ((g = 0), op[0] && (_ = 0)), _))
        try {
          if (
            ((f = 1),
            y &&
              (t = op[0] & 2 ? y['return'] : op[0] ? y['throw'] || ((t = y['return']) && t.call(y), 0) : y.next) &&
              !(t = t.call(y, op[1])).done)
          )
            return t;
          if (((y = 0), t)) op = [op[0] & 2, t.value];
          switch (op[0]) {
            case 0:
            case 1:
              t = op;
              break;
            case 4:
              _.label++;
              return { value: op[1], done: false };
            case 5:
              _.label++;
              y = op[1];
              op = [0];
              continue;
            case 7:
              op = _.ops.pop();
              _.trys.pop();
              continue;
            default:
              if (!((t = _.trys), (t = t.length > 0 && t[t.length - 1])) && (op[0] === 6 || op[0] === 2)) {
                _ = 0;
                continue;
              }
              if (op[0] === 3 && (!t || (op[1] > t[0] && op[1] < t[3]))) {
                _.label = op[1];
                break;
              }
              if (op[0] === 6 && _.label < t[1]) {
                _.label = t[1];
                t = op;
                break;
              }
              if (t && _.label < t[2]) {
                _.label = t[2];
                _.ops.push(op);
                break;
              }
              if (t[2]) _.ops.pop();
              _.trys.pop();
              continue;
          }
          op = body.call(thisArg, _);
        } catch (e) {
          op = [6, e];
          y = 0;
        } finally {
          f = t = 0;
        }
      if (op[0] & 5) throw op[1];
      return { value: op[0] ? op[1] : void 0, done: true };
    }
  });
Object.defineProperty(exports, '__esModule', { value: true });
exports.explorerAssetRoutes = exports.EXAMPLE_QUERY = void 0;
exports.explorerPlugin = explorerPlugin;
var node_fs_1 = require('node:fs');
var node_module_1 = require('node:module');
var require = (0, node_module_1.createRequire)(import.meta.url);
/** GraphiQL and React from local npm packages: the explorer works offline and loads nothing from a CDN. */
var ASSETS = {
  '/explorer/react.js': { module: 'react/umd/react.production.min.js', type: 'text/javascript' },
  '/explorer/react-dom.js': { module: 'react-dom/umd/react-dom.production.min.js', type: 'text/javascript' },
  '/explorer/graphiql.js': { module: 'graphiql/graphiql.min.js', type: 'text/javascript' },
  '/explorer/graphiql.css': { module: 'graphiql/graphiql.min.css', type: 'text/css' },
};
exports.EXAMPLE_QUERY =
  '# Shop Supergraph explorer. Run "Storefront" as it is: products and their FAQs (two services).\n# For your orders (all four services): run "LogIn" with the development credentials, put the token in the\n# Headers tab as {"Authorization": "Bearer <token>"}, then run "MyOrders".\n\nquery Storefront {\n  products(first: 5) {\n    edges {\n      node {\n        name\n        price { amount currency }\n        category { name }\n        faqs { question }\n      }\n    }\n  }\n}\n\nmutation LogIn {\n  logIn(email: "ada@shop.test", password: "shop-customer-dev") { token }\n}\n\nquery MyOrders {\n  me {\n    name\n    orders(first: 5) {\n      edges {\n        node {\n          number\n          status\n          total { amount currency }\n          items {\n            quantity\n            product { name faqs { question } }\n          }\n        }\n      }\n    }\n  }\n}\n';
function page(endpoint) {
  var config = JSON.stringify({ endpoint: endpoint, query: exports.EXAMPLE_QUERY }).replace(/</g, '\\u003c');
  return '<!doctype html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n  <title>Shop Supergraph explorer</title>\n  <link rel="stylesheet" href="/explorer/graphiql.css">\n  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>\n</head>\n<body>\n  <div id="graphiql">Loading the explorer\u2026</div>\n  <script src="/explorer/react.js"></script>\n  <script src="/explorer/react-dom.js"></script>\n  <script src="/explorer/graphiql.js"></script>\n  <script>\n    const config = '.concat(
    config,
    ";\n    const fetcher = GraphiQL.createFetcher({ url: config.endpoint });\n    ReactDOM.createRoot(document.getElementById('graphiql')).render(\n      React.createElement(GraphiQL, { fetcher, defaultQuery: config.query, defaultEditorToolsVisibility: true }),\n    );\n  </script>\n</body>\n</html>",
  );
}
/** Apollo Server's landing page (GET with Accept: text/html) becomes the local GraphiQL. */
function explorerPlugin(endpoint) {
  var html = page(endpoint);
  return {
    serverWillStart: function () {
      return __awaiter(this, void 0, void 0, function () {
        return __generator(this, (_a) => [
          2 /*return*/,
          {
            renderLandingPage: () =>
              __awaiter(this, void 0, void 0, function () {
                return __generator(this, (_a) => [2 /*return*/, { html: html }]);
              }),
          },
        ]);
      });
    },
  };
}
exports.explorerAssetRoutes = Object.fromEntries(
  Object.entries(ASSETS).map((_a) => {
    var path = _a[0],
      asset = _a[1];
    var body; // read on first use, then kept
    var route = (_request, response) => {
      body !== null && body !== void 0 ? body : (body = (0, node_fs_1.readFileSync)(require.resolve(asset.module)));
      response.writeHead(200, {
        'content-type': ''.concat(asset.type, '; charset=utf-8'),
        'cache-control': 'public, max-age=86400',
      });
      response.end(body);
    };
    return [path, route];
  }),
);
