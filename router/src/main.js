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
var _a;
var _b;
Object.defineProperty(exports, '__esModule', { value: true });
// The gateway must not contact Apollo's cloud (metadata probes at start, usage reporting at stop).
(_a = (_b = process.env).APOLLO_TELEMETRY_DISABLED) !== null && _a !== void 0
  ? _a
  : (_b.APOLLO_TELEMETRY_DISABLED = '1');
var node_fs_1 = require('node:fs');
var node_path_1 = require('node:path');
var subgraph_kit_1 = require('@shop/subgraph-kit');
var env_js_1 = require('./env.js');
var server_js_1 = require('./server.js');
try {
  var env = (0, subgraph_kit_1.parseEnvironment)(env_js_1.environment, process.env);
  var log = (0, subgraph_kit_1.createLogger)('router', env.LOG_LEVEL);
  var production = env.NODE_ENV === 'production';
  var keys = await (0, subgraph_kit_1.loadKeyPems)(
    __assign(__assign({}, process.env), {
      keyDir: node_path_1.default.join((0, subgraph_kit_1.dataRoot)(process.env), 'keys'),
      production: production,
    }),
  );
  var supergraphSdl = readSupergraph(env.SUPERGRAPH_FILE);
  var router = await (0, server_js_1.createRouter)({
    env: env,
    log: log,
    supergraphSdl: supergraphSdl,
    verifyToken: await (0, subgraph_kit_1.createTokenVerifier)(keys.publicPem),
  });
  var server = await (0, subgraph_kit_1.listen)(router.handler, {
    host: env.HOST,
    port: env.ROUTER_PORT,
    portVariable: 'ROUTER_PORT',
  });
  log.info({ url: (0, subgraph_kit_1.urlOf)(server, '/') }, 'router ready');
  (0, subgraph_kit_1.stopOnSignals)(server, log, router.stop);
} catch (error) {
  console.error(error instanceof subgraph_kit_1.StartupError ? 'router: '.concat(error.message) : error);
  process.exit(1);
}
function readSupergraph(file) {
  try {
    return (0, node_fs_1.readFileSync)(file, 'utf8');
  } catch (_a) {
    throw new subgraph_kit_1.StartupError(
      'cannot read the supergraph '.concat(file, '; run npm run compose, or set SUPERGRAPH_FILE'),
    );
  }
}
