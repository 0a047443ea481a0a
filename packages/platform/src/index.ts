export {
  createTokenSigner,
  createTokenVerifier,
  isInternalToken,
  loadInternalToken,
  loadKeyPems,
  type TokenSigner,
  type TokenVerifier,
  unauthenticated,
  type Viewer,
  viewerFromHeader,
} from './auth.js';
export { requireAdmin, requireInternalCaller, requireViewer } from './authorization.js';
export { type CacheReads, cacheTag } from './cache-tags.js';
export {
  type ClosedAccount,
  type ClosedAccounts,
  closedAccountsFromUsers,
  createServiceTokenVerifier,
  watchClosedAccounts,
} from './closed-accounts.js';
export { baseEnvironment, dataRoot, parseEnvironment, port, variablesOf, z } from './environment.js';
export {
  badUserInput,
  type ErrorCode,
  type ErrorCodeDeclaration,
  type ErrorCodeDeclarations,
  notFound,
  PLATFORM_ERROR_CODES,
  recodeLibraryMistakes,
  userError,
  withoutStacktrace,
} from './errors.js';
export { eventStreamHandler } from './event-stream.js';
export {
  type Admission,
  createHttpHandler,
  listen,
  MAX_BODY_BYTES,
  type Route,
  requestIdOf,
  sendGraphQLError,
  sendJson,
  urlOf,
} from './http.js';
export { createLogger, type Logger } from './logger.js';
export { collectProcessMetrics, countSqlStatements, metricsRoute } from './metrics.js';
export { requestLogging } from './request-logging.js';
export {
  ONE_PROCESS_HOST,
  type OneProcessHost,
  runService,
  type ServedService,
  startupFailure,
  stopOnSignals,
} from './shutdown.js';
export { StartupError } from './startup-error.js';
export {
  injectTraceContext,
  spanOperation,
  startTracing,
  type Tracing,
  withClientSpan,
  withServerSpan,
} from './tracing.js';
