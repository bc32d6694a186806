/**
 * The playground's one page: plain HTML, CSS and JavaScript, no framework and
 * no build step. Three panels side by side (WebSocket, Server-Sent Events,
 * HTTP API); under each, what crossed the wire, streamed from the server's
 * tracers over an EventSource on /trace.
 *
 * It is a string constant so the page ships inside dist/ with the code.
 */
export const PAGE = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>barewire playground</title>
<style>
  :root { --fg: #1d2330; --muted: #6b7385; --line: #d9dde6; --accent: #2456d6; --ok: #1a7f37; --bad: #c0362c; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, sans-serif; color: var(--fg); background: #f6f7fa; }
  header { padding: 14px 20px; border-bottom: 1px solid var(--line); background: #fff; }
  header h1 { margin: 0; font-size: 18px; }
  header p { margin: 4px 0 0; color: var(--muted); }
  main { display: grid; grid-template-columns: repeat(3, minmax(300px, 1fr)); gap: 14px; padding: 14px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; display: flex; flex-direction: column; min-height: 560px; }
  h2 { margin: 0 0 8px; font-size: 15px; }
  .row { display: flex; gap: 6px; flex-wrap: wrap; margin: 4px 0; align-items: center; }
  button { font: inherit; padding: 4px 10px; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 5px; cursor: pointer; }
  button.secondary { background: #fff; color: var(--accent); }
  button:disabled { opacity: .45; cursor: default; }
  input, textarea { font: 13px ui-monospace, monospace; padding: 4px 6px; border: 1px solid var(--line); border-radius: 5px; flex: 1; min-width: 0; }
  .status { font-size: 12px; color: var(--muted); }
  .status b.ok { color: var(--ok); } .status b.bad { color: var(--bad); }
  .log, .wire { font: 12px/1.35 ui-monospace, monospace; border: 1px solid var(--line); border-radius: 5px; padding: 6px; overflow: auto; white-space: pre-wrap; word-break: break-all; }
  .log { height: 150px; background: #fbfbfd; }
  .wire { flex: 1; min-height: 180px; background: #10131a; color: #cfd6e6; }
  .wire .out { color: #7cc4ff; } .wire .in { color: #9be28f; } .wire .note { color: #e5c07b; }
  h3 { margin: 10px 0 4px; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>barewire playground</h1>
  <p>Three ways a browser talks to a server, served by barewire's own modules. Under each panel: what crossed the wire, as the server saw it (<code>-&gt;</code> sent by the server, <code>&lt;-</code> received).</p>
</header>
<main>
  <section id="ws">
    <h2>WebSocket</h2>
    <div class="row"><button id="ws-open">Connect</button><button id="ws-close" class="secondary" disabled>Close</button></div>
    <div class="status" id="ws-status">closed</div>
    <div class="row"><input id="ws-text" value="hello, barewire"><button id="ws-send" disabled>Send text</button><button id="ws-bin" class="secondary" disabled>Send 8 binary bytes</button></div>
    <div class="log" id="ws-log"></div>
    <h3>on the wire</h3>
    <div class="wire" id="ws-wire"></div>
  </section>
  <section id="sse">
    <h2>Server-Sent Events</h2>
    <div class="row"><button id="sse-open">Subscribe</button><button id="sse-drop" class="secondary" disabled>Drop connection (server side)</button><button id="sse-close" class="secondary" disabled>Close</button></div>
    <div class="status" id="sse-status">closed</div>
    <div class="log" id="sse-log"></div>
    <h3>on the wire</h3>
    <div class="wire" id="sse-wire"></div>
  </section>
  <section id="http">
    <h2>HTTP API</h2>
    <div class="row"><input id="http-body" value='{"name": "teapot", "short": true}'><button id="http-create">POST /items</button></div>
    <div class="row"><button id="http-list" class="secondary">GET /items</button><button id="http-cond" class="secondary">Conditional GET</button><button id="http-bad" class="secondary">POST bad JSON</button></div>
    <div class="status" id="http-status">ready</div>
    <div class="log" id="http-log"></div>
    <h3>on the wire</h3>
    <div class="wire" id="http-wire"></div>
  </section>
</main>
<script>
'use strict';
const $ = (id) => document.getElementById(id);
function log(panel, text) {
  const el = $(panel + '-log');
  el.textContent += text + '\n';
  el.scrollTop = el.scrollHeight;
}
function status(panel, text, cls) {
  $(panel + '-status').innerHTML = cls ? '<b class="' + cls + '">' + text + '</b>' : text;
}

// --- the wire: trace events from the server, one panel per protocol -------
const wirePanels = { ws: 'ws-wire', sse: 'sse-wire', http: 'http-wire' };
const trace = new EventSource('/trace');
trace.addEventListener('trace', (e) => {
  const t = JSON.parse(e.data);
  const el = $(wirePanels[t.protocol]);
  if (!el) return;
  const line = document.createElement('div');
  line.className = t.dir === '->' ? 'out' : t.dir === '<-' ? 'in' : 'note';
  line.textContent = t.dir + ' ' + t.kind + ' ' + t.summary + (t.size !== undefined ? ' (' + t.size + ' B)' : '');
  el.appendChild(line);
  while (el.childNodes.length > 400) el.removeChild(el.firstChild);
  el.scrollTop = el.scrollHeight;
});

// --- WebSocket --------------------------------------------------------------
let ws = null;
function wsButtons(open) {
  $('ws-open').disabled = open; $('ws-close').disabled = !open;
  $('ws-send').disabled = !open; $('ws-bin').disabled = !open;
}
$('ws-open').onclick = () => {
  ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/ws', ['chat']);
  ws.binaryType = 'arraybuffer';
  status('ws', 'connecting…');
  ws.onopen = () => {
    wsButtons(true);
    status('ws', 'open · subprotocol: ' + (ws.protocol || '(none)') + ' · extensions: ' + (ws.extensions || '(none)'), 'ok');
  };
  ws.onmessage = (e) => {
    if (typeof e.data === 'string') log('ws', '← text ' + JSON.stringify(e.data));
    else log('ws', '← binary ' + Array.from(new Uint8Array(e.data), (b) => b.toString(16).padStart(2, '0')).join(' '));
  };
  ws.onclose = (e) => {
    wsButtons(false);
    status('ws', 'closed · code ' + e.code + (e.reason ? ' · ' + e.reason : '') + (e.wasClean ? ' · clean' : ''), e.code === 1000 ? 'ok' : 'bad');
    log('ws', '× close ' + e.code);
  };
};
$('ws-send').onclick = () => { ws.send($('ws-text').value); log('ws', '→ text ' + JSON.stringify($('ws-text').value)); };
$('ws-bin').onclick = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  ws.send(bytes);
  log('ws', '→ binary ' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' '));
};
$('ws-close').onclick = () => ws.close(1000, 'bye');

// --- Server-Sent Events ----------------------------------------------------
let es = null;
function sseButtons(open) { $('sse-open').disabled = open; $('sse-drop').disabled = !open; $('sse-close').disabled = !open; }
$('sse-open').onclick = () => {
  es = new EventSource('/events');
  sseButtons(true);
  status('sse', 'connecting…');
  es.onopen = () => status('sse', 'open · lastEventId ' + JSON.stringify(es.lastEventIdSeen || ''), 'ok');
  es.addEventListener('tick', (e) => { es.lastEventIdSeen = e.lastEventId; log('sse', 'tick id=' + e.lastEventId + ' data=' + e.data); });
  es.onerror = () => status('sse', es.readyState === EventSource.CONNECTING ? 'reconnecting… (will send Last-Event-ID: ' + (es.lastEventIdSeen || '') + ')' : 'closed', 'bad');
};
$('sse-drop').onclick = () => fetch('/events/drop', { method: 'POST' });
$('sse-close').onclick = () => { es.close(); sseButtons(false); status('sse', 'closed'); };

// --- HTTP API ----------------------------------------------------------------
let lastETag = null;
let lastId = null;
async function call(method, path, opts) {
  const res = await fetch(path, Object.assign({ method, cache: 'no-store' }, opts || {}));
  const text = method === 'HEAD' || res.status === 304 || res.status === 204 ? '' : await res.text();
  const ct = res.headers.get('content-type') || '';
  log('http', method + ' ' + path + ' → ' + res.status + ' ' + res.statusText + (ct ? ' (' + ct + ')' : '') + (res.headers.get('etag') ? ' ETag ' + res.headers.get('etag') : '') + (text ? '\n  ' + text.slice(0, 300) : ''));
  status('http', method + ' ' + path + ' → ' + res.status, res.status < 400 ? 'ok' : 'bad');
  return { res, text };
}
$('http-create').onclick = async () => {
  const { res, text } = await call('POST', '/items', { headers: { 'content-type': 'application/json' }, body: $('http-body').value });
  if (res.status === 201) lastId = JSON.parse(text).id;
};
$('http-list').onclick = async () => {
  const { res } = await call('GET', '/items');
  lastETag = res.headers.get('etag');
};
$('http-cond').onclick = async () => {
  if (!lastETag) { const { res } = await call('GET', '/items'); lastETag = res.headers.get('etag'); }
  await call('GET', '/items', { headers: { 'if-none-match': lastETag } });
};
$('http-bad').onclick = () => call('POST', '/items', { headers: { 'content-type': 'application/json' }, body: '{"oops": ' });
</script>
</body>
</html>
`;
