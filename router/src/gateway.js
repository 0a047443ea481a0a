var __extends =
  (this && this.__extends) ||
  (() => {
    var extendStatics = (d, b) => {
      extendStatics =
        Object.setPrototypeOf ||
        ({ __proto__: [] } instanceof Array &&
          ((d, b) => {
            d.__proto__ = b;
          })) ||
        ((d, b) => {
          for (var p in b) if (Object.hasOwn(b, p)) d[p] = b[p];
        });
      return extendStatics(d, b);
    };
    return (d, b) => {
      if (typeof b !== 'function' && b !== null)
        throw new TypeError('Class extends value ' + String(b) + ' is not a constructor or null');
      extendStatics(d, b);
      function __() {
        this.constructor = d;
      }
      d.prototype = b === null ? Object.create(b) : ((__.prototype = b.prototype), new __());
    };
  })();
Object.defineProperty(exports, '__esModule', { value: true });
exports.createGateway = createGateway;
exports.subgraphUrls = subgraphUrls;
var gateway_1 = require('@apollo/gateway');
/**
 * Forwards the caller's token (subgraphs verify it themselves) and the request id to every subgraph fetch,
 * over Node's keep-alive fetch instead of the gateway's default client (measured ~2x throughput).
 */
var SubgraphDataSource = /** @class */ ((_super) => {
  __extends(SubgraphDataSource, _super);
  function SubgraphDataSource() {
    return (_super !== null && _super.apply(this, arguments)) || this;
  }
  SubgraphDataSource.prototype.willSendRequest = (_a) => {
    var _b;
    var request = _a.request,
      context = _a.context;
    var headers = (_b = request.http) === null || _b === void 0 ? void 0 : _b.headers;
    if (!headers || !('requestId' in context)) return;
    headers.set('x-request-id', context.requestId);
    if (context.authorization) headers.set('authorization', context.authorization);
  };
  return SubgraphDataSource;
})(gateway_1.RemoteGraphQLDataSource);
function createGateway(supergraphSdl, urlOverrides) {
  return new gateway_1.ApolloGateway({
    supergraphSdl: supergraphSdl,
    buildService: (_a) => {
      var _b;
      var name = _a.name,
        url = _a.url;
      return new SubgraphDataSource({
        url: (_b = urlOverrides[name]) !== null && _b !== void 0 ? _b : url,
        fetcher: globalThis.fetch,
      });
    },
  });
}
/** Each subgraph's name and URL, as the router will call them. */
function subgraphUrls(supergraphSdl, urlOverrides) {
  var _a;
  var urls = {};
  for (
    var _i = 0, _b = supergraphSdl.matchAll(/@join__graph\(name: "([^"]+)", url: "([^"]+)"\)/g);
    _i < _b.length;
    _i++
  ) {
    var match = _b[_i];
    var _c = match,
      name_1 = _c[1],
      url = _c[2];
    urls[name_1] = (_a = urlOverrides[name_1]) !== null && _a !== void 0 ? _a : url;
  }
  return urls;
}
