/**
 * Interop with the reference implementations, over real pipes between real
 * processes: vscode-jsonrpc (the LSP stack, Content-Length framing) and
 * @modelcontextprotocol/sdk's stdio transport (NDJSON), in both directions.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import rpc from 'vscode-jsonrpc/node';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { spawnPeer } from '../../lib/stdio/process.js';
import type { StdioError } from '../../lib/stdio/errors.js';
import { CLI, FIXTURES, ROOT, until } from './helpers.js';

const { createMessageConnection, StreamMessageReader, StreamMessageWriter, CancellationTokenSource, ResponseError } = rpc;
const node = process.execPath;

describe('interop', () => {
  test('LSP base protocol §Header Part: vscode-jsonrpc as client calls `barewire stdio serve --framing content-length`', async () => {
    const child = spawn(node, [...CLI, 'stdio', 'serve', '--framing', 'content-length'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
    const conn = createMessageConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    conn.listen();
    try {
      assert.equal(await conn.sendRequest('subtract', 42, 23), 19);
      assert.equal(await conn.sendRequest('subtract', { minuend: 42, subtrahend: 23 }), 19);
      assert.deepEqual(await conn.sendRequest('echo', { text: 'héllo 😀 — multi-byte' }), { text: 'héllo 😀 — multi-byte' });
      assert.deepEqual(await conn.sendRequest('get_data'), ['hello', 5]);
      await conn.sendNotification('update', 1, 2, 3);
      await assert.rejects(conn.sendRequest('foobar'), (e: InstanceType<typeof ResponseError>) => e.code === -32601 && e.message === 'Method not found');
      await assert.rejects(conn.sendRequest('sum', 'x'), (e: InstanceType<typeof ResponseError>) => e.code === -32602);
      // Concurrency: 50 requests in flight at once, each answered correctly.
      const many = await Promise.all(Array.from({ length: 50 }, (_, i) => conn.sendRequest('subtract', i, 1)));
      assert.deepEqual(many, Array.from({ length: 50 }, (_, i) => i - 1));
      // LSP base protocol §Cancellation Support: vscode's token sends $/cancelRequest; we answer -32800.
      const src = new CancellationTokenSource();
      const slow = conn.sendRequest('sleep', { ms: 60000 }, src.token);
      setTimeout(() => src.cancel(), 50);
      await assert.rejects(slow, (e: InstanceType<typeof ResponseError>) => e.code === -32800);
    } finally {
      conn.dispose();
      child.stdin.end();
      await new Promise((r) => child.on('close', r));
    }
    assert.equal(child.exitCode, 0);
  });

  test('LSP base protocol §Header Part: barewire as client calls a vscode-jsonrpc server, which calls back', async () => {
    const c = spawnPeer(node, [join(FIXTURES, 'vscode-server.mjs')], { framing: 'content-length', cwd: ROOT });
    const notes: unknown[] = [];
    c.peer.onRequest('client/add', (params) => (params as number[])[0] + (params as number[])[1]);
    c.peer.onNotification('client/note', (params) => notes.push(params));
    const stderr: string[] = [];
    c.on('stderr', (l: string) => stderr.push(l));
    try {
      assert.equal(await c.request('subtract', [42, 23]), 19);
      assert.equal(await c.request('named', { minuend: 42, subtrahend: 23 }), 19);
      assert.equal(await c.request('ask-back'), 5); // server -> client request in the middle of a client -> server request
      assert.equal(await c.request('notify-back'), 'sent');
      await until(() => notes.length === 1);
      assert.deepEqual(notes, [{ text: 'héllo 😀' }]);
      await assert.rejects(c.request('fail'), (e: StdioError) => e.remote && e.rpcCode === -32001 && e.message === 'vscode says no' && (e.data as { why: string }).why === 'test');
      await assert.rejects(c.request('missing'), (e: StdioError) => e.code === 'METHOD_NOT_FOUND');
      const ac = new AbortController();
      const slow = c.request('slow', { ms: 60000 }, { signal: ac.signal });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(slow, (e: StdioError) => e.code === 'REQUEST_CANCELLED');
      await until(() => stderr.includes('slow: cancellation seen')); // vscode-jsonrpc saw our $/cancelRequest
      const many = await Promise.all(Array.from({ length: 100 }, (_, i) => c.request('subtract', [i, 1])));
      assert.deepEqual(many, Array.from({ length: 100 }, (_, i) => i - 1));
    } finally {
      const r = await c.shutdown();
      assert.equal(r.stage, 'stdin-closed');
    }
  });

  test('MCP transports §stdio: the MCP SDK\'s StdioClientTransport talks to `barewire stdio serve` (NDJSON)', async () => {
    const transport = new StdioClientTransport({ command: node, args: [...CLI, 'stdio', 'serve'], cwd: ROOT, stderr: 'pipe' });
    const got: JSONRPCMessage[] = [];
    const errors: Error[] = [];
    transport.onmessage = (m) => got.push(m);
    transport.onerror = (e) => errors.push(e);
    await transport.start();
    try {
      await transport.send({ jsonrpc: '2.0', id: 1, method: 'echo', params: { text: 'héllo 😀' } });
      await transport.send({ jsonrpc: '2.0', method: 'notify_hello', params: { n: 7 } });
      await transport.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      await transport.send({ jsonrpc: '2.0', id: 3, method: 'sleep', params: { ms: 60000 } });
      await transport.send({ jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 3 } });
      await until(() => got.length === 3, 30000, 'three answers');
      const byId = new Map(got.map((m) => [(m as { id: number }).id, m]));
      assert.deepEqual(byId.get(1), { jsonrpc: '2.0', result: { text: 'héllo 😀' }, id: 1 });
      assert.deepEqual(byId.get(2), { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: 2 });
      assert.deepEqual(byId.get(3), { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 3 });
      assert.deepEqual(errors, []);
    } finally {
      await transport.close();
    }
  });

  test('MCP transports §stdio: barewire as client runs the MCP handshake and a tool call against an MCP SDK server', async () => {
    const c = spawnPeer(node, [join(FIXTURES, 'mcp-server.mjs')], { cwd: ROOT });
    try {
      const init = await c.request<{ serverInfo: { name: string }; protocolVersion: string }>('initialize', {
        protocolVersion: '2025-06-18',
        capabilities: {},
        clientInfo: { name: 'barewire', version: '0.1.0' },
      });
      assert.equal(init.serverInfo.name, 'barewire-fixture');
      assert.equal(init.protocolVersion, '2025-06-18');
      c.notify('notifications/initialized');
      const list = await c.request<{ tools: { name: string }[] }>('tools/list', {});
      assert.deepEqual(list.tools.map((t) => t.name), ['greet']);
      const call = await c.request<{ content: { text: string }[] }>('tools/call', { name: 'greet', arguments: {} });
      assert.equal(call.content[0].text, 'hi from mcp');
      assert.equal(await c.request('ping').then(() => 'pong'), 'pong');
      await assert.rejects(c.request('no/such'), (e: StdioError) => e.rpcCode === -32601);
    } finally {
      await c.shutdown();
    }
  });
});
