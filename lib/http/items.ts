/**
 * The in-memory JSON resource that `barewire http serve` exposes
 * (INTEROP.md §http), built only from the public toolkit:
 *
 *   GET    /items        the items, a JSON array             200 + ETag
 *   POST   /items        create (server assigns `id`)        201 + Location + ETag
 *   GET    /items/{id}   one item                            200 + ETag, 404
 *   PUT    /items/{id}   replace                             200, 404 if absent, 412
 *   PATCH  /items/{id}   JSON Merge Patch (RFC 7396)         200, 404, 412, 415
 *   DELETE /items/{id}   remove                              204, 404, 412
 *
 * HEAD and OPTIONS come from the router; errors are problem+json. The server
 * owns `id`: an `id` member in a request body is ignored.
 */
import { createApp, type App, type AppOptions, type Context } from './app.js';
import { HttpError } from './errors.js';
import { strongETag } from './conditional.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

interface Stored {
  item: JsonObject;
  json: string;
  etag: string;
  lastModified: number;
}

/** RFC 5789 §3.1 Accept-Patch: the patch formats PATCH takes here. */
export const PATCH_TYPES = ['application/merge-patch+json', 'application/json'] as const;

export interface ItemsOptions extends AppOptions {
  /** Most items kept (default 10,000); creating more is 507. */
  maxItems?: number;
  /** Most bytes of JSON kept over all items (default 64 MiB); past it, writes are 507. */
  maxStoreBytes?: number;
}

/** Define a property as plain data, so a key like "__proto__" stays a key. */
function put(target: JsonObject, key: string, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * RFC 7396 §2 MergePatch(Target, Patch), without mutating either: an object
 * patch merges member by member, `null` removes a member, anything else
 * replaces. Recursion depth is bounded by the body's nesting limit.
 */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = {};
  if (isObject(target)) for (const k of Object.keys(target)) put(out, k, target[k]);
  for (const k of Object.keys(patch)) {
    const v = patch[k];
    if (v === null) delete out[k];
    else put(out, k, mergePatch(Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined, v));
  }
  return out;
}

export function createItemsApp(opts: ItemsOptions = {}): App {
  const app = createApp(opts);
  const maxItems = opts.maxItems ?? 10_000;
  const maxStoreBytes = opts.maxStoreBytes ?? 64 * 1024 * 1024;
  const items = new Map<string, Stored>();
  let storeBytes = 0;
  let nextId = 1;
  let list: { json: string; etag: string } | undefined;

  const store = (id: string, body: JsonObject): Stored => {
    const item: JsonObject = { id };
    for (const k of Object.keys(body)) if (k !== 'id') put(item, k, body[k]);
    const json = JSON.stringify(item);
    const before = items.get(id)?.json.length ?? 0;
    if (storeBytes - before + json.length > maxStoreBytes) {
      throw new HttpError(507, 'INSUFFICIENT_STORAGE', `the store is full (${maxStoreBytes} bytes of JSON)`);
    }
    storeBytes += json.length - before;
    const s: Stored = { item, json, etag: strongETag(json), lastModified: Date.now() };
    items.set(id, s);
    list = undefined;
    return s;
  };
  const find = (ctx: Context<{ id: string }>): Stored => {
    const s = items.get(ctx.params.id);
    if (s === undefined) throw new HttpError(404, 'NOT_FOUND', `no item with id ${JSON.stringify(ctx.params.id.slice(0, 100))}`);
    return s;
  };
  const represent = (ctx: Context, status: number, s: Stored, extra?: Record<string, string>) =>
    ctx.sendText(status, s.json, { etag: s.etag, lastModified: s.lastModified, cacheControl: 'no-cache', headers: extra });

  app.get('/items', (ctx) => {
    if (list === undefined) {
      const json = '[' + Array.from(items.values(), (s) => s.json).join(',') + ']';
      list = { json, etag: strongETag(json) };
    }
    return ctx.sendText(200, list.json, { etag: list.etag, cacheControl: 'no-cache' });
  });

  app.post('/items', async (ctx) => {
    const body = (await ctx.jsonObject()) as JsonObject;
    if (items.size >= maxItems) throw new HttpError(507, 'INSUFFICIENT_STORAGE', `the store is full (${maxItems} items)`);
    const id = String(nextId++);
    const s = store(id, body);
    // RFC 9110 §15.3.2: 201 with Location naming the new resource.
    return represent(ctx, 201, s, { location: `/items/${id}` });
  });

  app.get('/items/:id', (ctx) => represent(ctx, 200, find(ctx)));

  app.put('/items/:id', async (ctx) => {
    const body = (await ctx.jsonObject()) as JsonObject;
    const cur = find(ctx);
    ctx.preconditions({ etag: cur.etag, lastModified: cur.lastModified });
    return represent(ctx, 200, store(ctx.params.id, body));
  });

  app.patch('/items/:id', async (ctx) => {
    const patch = (await ctx.jsonObject({ types: PATCH_TYPES })) as JsonObject;
    const cur = find(ctx);
    ctx.preconditions({ etag: cur.etag, lastModified: cur.lastModified });
    const merged = mergePatch(cur.item, patch) as JsonObject;
    return represent(ctx, 200, store(ctx.params.id, merged));
  });

  app.delete('/items/:id', (ctx) => {
    const cur = find(ctx);
    ctx.preconditions({ etag: cur.etag, lastModified: cur.lastModified });
    items.delete(ctx.params.id);
    storeBytes -= cur.json.length;
    list = undefined;
    ctx.noContent();
  });

  // RFC 5789 §3.1: OPTIONS on a patchable resource advertises Accept-Patch.
  app.route('OPTIONS', '/items/:id', (ctx) => {
    ctx.noContent({ allow: ctx.allow, 'accept-patch': PATCH_TYPES.join(', ') });
  });

  return app;
}
