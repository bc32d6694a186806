/**
 * Middleware: `(ctx, next) => ...`, run in the order added, before routing.
 * Call `await next()` to go on; return without calling it to answer early.
 * Two examples, and no more machinery than they need: CORS and request logging.
 */
import type { Context, Middleware } from './app.js';
import { appendVary } from './cache.js';

export interface CorsOptions {
  /** Allowed origins (exact match), or '*' for any (default '*'). */
  origin?: '*' | readonly string[];
  /** Methods allowed in preflight (default the common ones). */
  methods?: readonly string[];
  /** Request headers allowed in preflight (default: echo what was asked). */
  headers?: readonly string[];
  /** Response headers the page may read (ETag and Location are useful for APIs). */
  exposeHeaders?: readonly string[];
  /** Access-Control-Max-Age, seconds (default 600). */
  maxAge?: number;
  credentials?: boolean;
}

/**
 * CORS (WHATWG Fetch §3.2): answers preflights (OPTIONS with
 * Access-Control-Request-Method) itself and adds Access-Control-Allow-Origin
 * to every other response for an allowed origin.
 */
export function cors(opts: CorsOptions = {}): Middleware {
  const origins = opts.origin ?? '*';
  const methods = (opts.methods ?? ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']).join(', ');
  const expose = (opts.exposeHeaders ?? ['ETag', 'Location', 'Last-Modified']).join(', ');
  const maxAge = String(opts.maxAge ?? 600);
  return async (ctx: Context, next) => {
    const origin = ctx.req.headers.origin;
    const res = ctx.res;
    if (origins !== '*') res.setHeader('vary', appendVary(res.getHeader('vary') as string | undefined, 'Origin'));
    if (origin === undefined) return next();
    const allowed = origins === '*' || origins.includes(origin);
    if (!allowed) return next(); // no CORS headers: the browser blocks the read
    const allowOrigin = origins === '*' && !opts.credentials ? '*' : origin;
    res.setHeader('access-control-allow-origin', allowOrigin);
    if (opts.credentials) res.setHeader('access-control-allow-credentials', 'true');
    const preflight = ctx.method === 'OPTIONS' && ctx.req.headers['access-control-request-method'] !== undefined;
    if (!preflight) {
      res.setHeader('access-control-expose-headers', expose);
      return next();
    }
    const asked = ctx.req.headers['access-control-request-headers'];
    ctx.noContent({
      'access-control-allow-methods': methods,
      'access-control-allow-headers': opts.headers ? opts.headers.join(', ') : (asked ?? ''),
      'access-control-max-age': maxAge,
    });
  };
}

/** One line per request after the response: `GET /items/1 200 1.3ms`. */
export function requestLogger(write: (line: string) => void = (l) => process.stderr.write(l + '\n')): Middleware {
  return async (ctx, next) => {
    const t0 = performance.now();
    ctx.res.once('finish', () => {
      write(`${ctx.method} ${ctx.path}${ctx.rawQuery ? '?' + ctx.rawQuery : ''} ${ctx.res.statusCode} ${(performance.now() - t0).toFixed(1)}ms`);
    });
    await next();
  };
}
