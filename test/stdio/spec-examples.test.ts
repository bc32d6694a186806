/**
 * The examples of JSON-RPC 2.0 §7, verbatim: `-->` data sent to the server,
 * `<--` data sent to the client. Each runs against the demo server in memory
 * in both framings (in Content-Length framing the multi-line examples go on
 * the wire exactly as printed, newlines included), and once against the real
 * `barewire stdio serve` as a child process.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeContentLength } from '../../lib/stdio/framing.js';
import { contentLengthMessages, lines, runCli, serveText } from './helpers.js';

interface Example {
  name: string;
  /** Each `-->` in order. */
  send: string[];
  /** Each `<--` in order (none: nothing is returned). */
  expect: string[];
}

export const EXAMPLES: Example[] = [
  {
    name: 'rpc call with positional parameters',
    send: ['{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}', '{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}'],
    expect: ['{"jsonrpc": "2.0", "result": 19, "id": 1}', '{"jsonrpc": "2.0", "result": -19, "id": 2}'],
  },
  {
    name: 'rpc call with named parameters',
    send: [
      '{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}',
      '{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}',
    ],
    expect: ['{"jsonrpc": "2.0", "result": 19, "id": 3}', '{"jsonrpc": "2.0", "result": 19, "id": 4}'],
  },
  {
    name: 'a Notification',
    send: ['{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}', '{"jsonrpc": "2.0", "method": "foobar"}'],
    expect: [],
  },
  {
    name: 'rpc call of non-existent method',
    send: ['{"jsonrpc": "2.0", "method": "foobar", "id": "1"}'],
    expect: ['{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}'],
  },
  {
    name: 'rpc call with invalid JSON',
    send: ['{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]'],
    expect: ['{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}'],
  },
  {
    name: 'rpc call with invalid Request object',
    send: ['{"jsonrpc": "2.0", "method": 1, "params": "bar"}'],
    expect: ['{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}'],
  },
  {
    name: 'rpc call Batch, invalid JSON',
    send: ['[\n  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},\n  {"jsonrpc": "2.0", "method"\n]'],
    expect: ['{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}'],
  },
  {
    name: 'rpc call with an empty Array',
    send: ['[]'],
    expect: ['{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}'],
  },
  {
    name: 'rpc call with an invalid Batch (but not empty)',
    send: ['[1]'],
    expect: ['[\n  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}\n]'],
  },
  {
    name: 'rpc call with invalid Batch',
    send: ['[1,2,3]'],
    expect: [
      '[\n  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},\n  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},\n  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}\n]',
    ],
  },
  {
    name: 'rpc call Batch',
    send: [
      `[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"} 
    ]`,
    ],
    expect: [
      `[
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]`,
    ],
  },
  {
    name: 'rpc call Batch (all notifications)',
    send: [
      `[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]`,
    ],
    expect: [],
  },
];

const oneLine = (s: string) => s.replace(/\n/g, ' ');

describe('JSON-RPC 2.0 §7 examples', () => {
  for (const ex of EXAMPLES) {
    test(`JSON-RPC 2.0 §7: ${ex.name} (NDJSON)`, async () => {
      const out = await serveText(ex.send.map((s) => oneLine(s) + '\n').join(''));
      assert.deepEqual(lines(out), ex.expect.map((e) => JSON.parse(e)));
    });
    test(`JSON-RPC 2.0 §7: ${ex.name} (Content-Length, sent exactly as printed)`, async () => {
      const out = await serveText(ex.send.map(encodeContentLength).join(''), 'content-length');
      assert.deepEqual(contentLengthMessages(out), ex.expect.map((e) => JSON.parse(e)));
    });
  }

  test('JSON-RPC 2.0 §7: every example through `barewire stdio serve` as a real process, in one session', async () => {
    const input = EXAMPLES.flatMap((ex) => ex.send.map((s) => oneLine(s) + '\n')).join('');
    const r = await runCli(['stdio', 'serve'], input);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), EXAMPLES.flatMap((ex) => ex.expect.map((e) => JSON.parse(e))));
  });
});
