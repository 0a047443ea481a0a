var __assign =
  (this && this.__assign) ||
  function () {
    __assign =
      Object.assign ||
      function (t) {
        for (var s, i = 1, n = arguments.length; i < n; i++) {
          s = arguments[i];
          for (var p in s) if (Object.hasOwn(s, p)) t[p] = s[p];
        }
        return t;
      };
    return __assign.apply(this, arguments);
  };
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
exports.createRouter = createRouter;
var server_1 = require('@apollo/server');
var disabled_1 = require('@apollo/server/plugin/disabled');
var subgraph_kit_1 = require('@shop/subgraph-kit');
var explorer_js_1 = require('./explorer.js');
var gateway_js_1 = require('./gateway.js');
var READY_TIMEOUT_MS = 2000;
/** The router: Apollo Gateway on the committed supergraph, token check first, health, readiness, explorer. */
function createRouter(_a) {
  return __awaiter(this, arguments, void 0, function (_b) {
    var production, introspection, overrides, gateway, apollo, subgraphs, ready, handler;
    var env = _b.env,
      log = _b.log,
      supergraphSdl = _b.supergraphSdl,
      verifyToken = _b.verifyToken;
    return __generator(this, (_c) => {
      switch (_c.label) {
        case 0:
          production = env.NODE_ENV === 'production';
          introspection = env.INTROSPECTION ? env.INTROSPECTION === 'true' : !production;
          overrides = { users: env.USERS_URL, products: env.PRODUCTS_URL, orders: env.ORDERS_URL, faq: env.FAQ_URL };
          gateway = (0, gateway_js_1.createGateway)(supergraphSdl, overrides);
          apollo = new server_1.ApolloServer({
            gateway: gateway,
            introspection: introspection,
            includeStacktraceInErrorResponses: !production,
            plugins: [
              introspection
                ? (0, explorer_js_1.explorerPlugin)('/graphql')
                : (0, disabled_1.ApolloServerPluginLandingPageDisabled)(),
            ],
          });
          return [4 /*yield*/, apollo.start()];
        case 1:
          _c.sent();
          subgraphs = (0, gateway_js_1.subgraphUrls)(supergraphSdl, overrides);
          ready = (_request, response) =>
            __awaiter(this, void 0, void 0, function () {
              var checks, allReady;
              return __generator(this, (_a) => {
                switch (_a.label) {
                  case 0:
                    return [
                      4 /*yield*/,
                      Promise.all(
                        Object.entries(subgraphs).map((_a) =>
                          __awaiter(this, [_a], void 0, function (_b) {
                            var answered;
                            var name = _b[0],
                              url = _b[1];
                            return __generator(this, (_c) => {
                              switch (_c.label) {
                                case 0:
                                  return [
                                    4 /*yield*/,
                                    fetch(new URL('/ready', url), { signal: AbortSignal.timeout(READY_TIMEOUT_MS) })
                                      .then((reply) => reply.ok)
                                      .catch(() => false),
                                  ];
                                case 1:
                                  answered = _c.sent();
                                  return [2 /*return*/, [name, answered ? 'ready' : 'unavailable']];
                              }
                            });
                          }),
                        ),
                      ),
                    ];
                  case 1:
                    checks = _a.sent();
                    allReady = checks.every((_a) => {
                      var state = _a[1];
                      return state === 'ready';
                    });
                    (0, subgraph_kit_1.sendJson)(response, allReady ? 200 : 503, {
                      status: allReady ? 'ready' : 'unavailable',
                      subgraphs: Object.fromEntries(checks),
                    });
                    return [2 /*return*/];
                }
              });
            });
          handler = (0, subgraph_kit_1.createHttpHandler)({
            apollo: apollo,
            graphqlPaths: ['/graphql', '/'],
            routes: __assign(
              {
                '/health': (_request, response) => (0, subgraph_kit_1.sendJson)(response, 200, { status: 'ok' }),
                '/ready': ready,
              },
              introspection ? explorer_js_1.explorerAssetRoutes : {},
            ),
            context: (request, requestId) =>
              __awaiter(this, void 0, void 0, function () {
                var viewer;
                return __generator(this, (_a) => {
                  switch (_a.label) {
                    case 0:
                      return [
                        4 /*yield*/,
                        (0, subgraph_kit_1.viewerFromHeader)(request.headers.authorization, verifyToken),
                      ];
                    case 1:
                      viewer = _a.sent();
                      return [
                        2 /*return*/,
                        { requestId: requestId, viewer: viewer, authorization: request.headers.authorization },
                      ];
                  }
                });
              }),
          });
          log.debug({ subgraphs: subgraphs }, 'router configured');
          return [2 /*return*/, { apollo: apollo, handler: handler, stop: () => apollo.stop() }];
      }
    });
  });
}
