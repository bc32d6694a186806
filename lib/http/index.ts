/**
 * barewire/http: a small HTTP API toolkit on node:http that gets RFC 9110
 * semantics, RFC 9111 caching and RFC 9457 problem details right by default.
 *
 *   import { createApp, createServer } from 'barewire/http';
 *   const app = createApp();
 *   app.get('/hello/:name', (ctx) => ({ hello: ctx.params.name }));
 *   const { url } = await createServer(app).listen(8000);
 */
export { App, Context, createApp, type AppOptions, type Handler, type Middleware, type ParamKeys, type SendOptions } from './app.js';
export { HttpServer, createServer, SERVER_DEFAULTS, type ServerOptions } from './server.js';
export { Router, decodeSegment, type Params, type RouteMatch, type RouterOptions, type TrailingSlash } from './router.js';
export { HttpError, isHttpError, type HttpErrorCode, type HttpErrorOptions } from './errors.js';
export { PROBLEM_JSON, STATUS_TEXT, statusText, parseProblem, problemOf, type Problem } from './problem.js';
export { parseMediaType, isJsonMediaType, parseAccept, negotiateType, negotiateEncoding, acceptsJson, parseQvalue, type MediaType, type MediaRange } from './media.js';
export {
  readJsonBody,
  decodeJson,
  hasBody,
  checkContentType,
  BodyAccumulator,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_MAX_JSON_DEPTH,
  type BodyOptions,
} from './body.js';
export {
  evaluatePreconditions,
  parseETag,
  parseETagList,
  strongMatch,
  weakMatch,
  strongETag,
  httpDate,
  parseHttpDate,
  DEFAULT_MAX_ETAGS,
  type EntityTag,
  type ETagList,
  type Preconditions,
  type CurrentState,
  type Decision,
} from './conditional.js';
export { cacheControl, parseCacheControl, appendVary, lastModifiedSeconds, type CacheControl } from './cache.js';
export { chooseEncoding, compress, encodedETag, type CompressionOptions } from './compress.js';
export { cors, requestLogger, type CorsOptions } from './middleware.js';
export { HttpClient, ConditionalCache, type ClientOptions, type RequestOptions, type ClientResponse } from './client.js';
export { createItemsApp, mergePatch, PATCH_TYPES, type ItemsOptions } from './items.js';
