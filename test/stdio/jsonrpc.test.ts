import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { classify, parseText, describe as describeMsg, errorObject, errorResponse, requestMessage, notificationMessage, resultResponse } from '../../lib/stdio/jsonrpc.js';
import { ErrorCodes, ERROR_MESSAGES, StdioError, codeForRpcCode, invalidParams } from '../../lib/stdio/errors.js';
import { lines, serveText } from './helpers.js';
import * as stdio from '../../lib/stdio/index.js';

describe('JSON-RPC 2.0 messages', () => {
  test('JSON-RPC 2.0 §4: jsonrpc MUST be exactly "2.0"', () => {
    for (const v of ['2', '1.0', 2, undefined]) {
      const m = classify({ jsonrpc: v, method: 'x', id: 1 });
      assert.equal(m.type, 'invalid');
      assert.equal(m.type === 'invalid' && m.id, 1); // the id is kept when it is valid
    }
  });

  test('JSON-RPC 2.0 §4: method MUST be a String', () => {
    assert.deepEqual(classify({ jsonrpc: '2.0', method: 1, id: 'a' }), { type: 'invalid', id: 'a', reason: 'method is not a String' });
  });

  test('JSON-RPC 2.0 §4: an id MUST be a String, Number or Null; anything else is invalid with id null', () => {
    for (const id of [{}, [], true, 1.5e400]) {
      const m = classify({ jsonrpc: '2.0', method: 'x', id });
      assert.equal(m.type, 'invalid');
      assert.equal(m.type === 'invalid' && m.id, null);
    }
    assert.equal(classify({ jsonrpc: '2.0', method: 'x', id: 'abc' }).type, 'request');
    assert.equal(classify({ jsonrpc: '2.0', method: 'x', id: -3 }).type, 'request');
  });

  test('JSON-RPC 2.0 §4: a request with "id": null is a request (answered with id null), not a notification', () => {
    assert.deepEqual(classify({ jsonrpc: '2.0', method: 'x', id: null }), { type: 'request', id: null, method: 'x', params: undefined });
  });

  test('JSON-RPC 2.0 §4.1: a request without an id is a notification', () => {
    assert.deepEqual(classify({ jsonrpc: '2.0', method: 'n', params: [1] }), { type: 'notification', method: 'n', params: [1] });
  });

  test('JSON-RPC 2.0 §4.2: params MUST be an Array or an Object when present', () => {
    for (const params of [1, 'a', null, true]) assert.equal(classify({ jsonrpc: '2.0', method: 'x', params, id: 1 }).type, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', method: 'x', params: [], id: 1 }).type, 'request');
    assert.equal(classify({ jsonrpc: '2.0', method: 'x', params: {}, id: 1 }).type, 'request');
  });

  test('JSON-RPC 2.0 §5: a response has exactly one of result and error, and an id', () => {
    assert.deepEqual(classify({ jsonrpc: '2.0', result: null, id: 1 }), { type: 'response', id: 1, result: null });
    assert.equal(classify({ jsonrpc: '2.0', result: 1, error: { code: 1, message: 'x' }, id: 1 }).type, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', id: 1 }).type, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', result: 1 }).type, 'invalid');
  });

  test('JSON-RPC 2.0 §5.1: an error object needs an integer code and a String message; data is kept', () => {
    assert.deepEqual(classify({ jsonrpc: '2.0', error: { code: -32000, message: 'boom', data: { a: 1 } }, id: 2 }), {
      type: 'error',
      id: 2,
      error: { code: -32000, message: 'boom', data: { a: 1 } },
    });
    assert.equal(classify({ jsonrpc: '2.0', error: { code: 1.5, message: 'x' }, id: 1 }).type, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', error: { code: 1 }, id: 1 }).type, 'invalid');
    assert.equal(classify({ jsonrpc: '2.0', error: 'x', id: 1 }).type, 'invalid');
  });

  test('JSON-RPC 2.0 §5.1: every reserved code has the specification\'s message; -32800 is request cancelled', () => {
    assert.deepEqual(
      [ErrorCodes.ParseError, ErrorCodes.InvalidRequest, ErrorCodes.MethodNotFound, ErrorCodes.InvalidParams, ErrorCodes.InternalError, ErrorCodes.RequestCancelled].map((c) => [c, ERROR_MESSAGES[c]]),
      [
        [-32700, 'Parse error'],
        [-32600, 'Invalid Request'],
        [-32601, 'Method not found'],
        [-32602, 'Invalid params'],
        [-32603, 'Internal error'],
        [-32800, 'Request cancelled'],
      ],
    );
    assert.deepEqual(errorObject(-32601), { code: -32601, message: 'Method not found' });
    assert.deepEqual(errorObject(-32050), { code: -32050, message: 'Server error' });
    assert.deepEqual(errorObject(-32050, 'db down', 7), { code: -32050, message: 'db down', data: 7 });
    assert.equal(codeForRpcCode(-32000), 'SERVER_ERROR');
    assert.equal(codeForRpcCode(-32099), 'SERVER_ERROR');
    assert.equal(codeForRpcCode(-32100), 'APPLICATION_ERROR');
    assert.equal(codeForRpcCode(42), 'APPLICATION_ERROR');
    assert.equal(codeForRpcCode(-32800), 'REQUEST_CANCELLED');
    const e = StdioError.fromErrorObject({ code: -32602, message: 'Invalid params', data: 'x' });
    assert.equal(e.code, 'INVALID_PARAMS');
    assert.equal(e.rpcCode, -32602);
    assert.equal(e.remote, true);
    assert.equal(invalidParams('why').data, 'why');
    assert.equal(new StdioError('SPAWN_FAILED', 'x').rpcCode, -32603);
  });

  test('JSON-RPC 2.0 §5: a result of undefined is sent as null (result is REQUIRED on success)', () => {
    assert.deepEqual(resultResponse(1, undefined), { jsonrpc: '2.0', result: null, id: 1 });
  });

  test('JSON-RPC 2.0 §6: a batch is classified member by member; an empty array is its own case', () => {
    assert.deepEqual(parseText('[]'), { kind: 'empty-batch' });
    const p = parseText('[{"jsonrpc":"2.0","method":"a"},1]');
    assert.equal(p.kind, 'batch');
    assert.deepEqual(p.kind === 'batch' && p.messages.map((m) => m.type), ['notification', 'invalid']);
    assert.equal(parseText('nope').kind, 'parse-error');
    assert.deepEqual(parseText('"str"'), { kind: 'single', message: { type: 'invalid', id: null, reason: 'not an object' } });
  });

  test('JSON-RPC 2.0 §4: messages are built with only the members that apply', () => {
    assert.deepEqual(requestMessage('m', undefined, 1), { jsonrpc: '2.0', method: 'm', id: 1 });
    assert.deepEqual(notificationMessage('n'), { jsonrpc: '2.0', method: 'n' });
    assert.deepEqual(notificationMessage('n', { a: 1 }), { jsonrpc: '2.0', method: 'n', params: { a: 1 } });
    assert.equal(describeMsg(requestMessage('m', [], 'x')), 'request m id="x"');
    assert.equal(describeMsg(notificationMessage('n')), 'notification n');
    assert.equal(describeMsg(errorResponse(3, -32601)), 'error -32601 "Method not found" id=3');
    assert.equal(describeMsg(resultResponse(3, 1)), 'response id=3');
    assert.equal(describeMsg(classify({ jsonrpc: '2.0', error: { code: 1, message: 'm' }, id: 1 })), 'error 1 "m" id=1');
    assert.equal(describeMsg(classify(5)), 'invalid (not an object)');
  });
});

describe('INTEROP.md §stdio serve errors', () => {
  test('INTEROP.md §stdio serve: -32600 carries the request\'s id when it is a valid id', async () => {
    const out = await serveText('{"jsonrpc":"1.0","method":"sum","params":[1],"id":77}\n{"jsonrpc":"2.0","method":"sum","params":"x","id":"q"}\n');
    assert.deepEqual(lines(out), [
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: 77 },
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: 'q' },
    ]);
  });

  test('INTEROP.md §stdio serve: -32602 for invalid params of subtract, sum and sleep', async () => {
    const out = await serveText(
      [
        '{"jsonrpc":"2.0","method":"subtract","params":["a",1],"id":1}',
        '{"jsonrpc":"2.0","method":"subtract","id":2}',
        '{"jsonrpc":"2.0","method":"sum","params":{"a":1},"id":3}',
        '{"jsonrpc":"2.0","method":"sum","params":[1,"2"],"id":4}',
        '{"jsonrpc":"2.0","method":"sleep","params":{"ms":-1},"id":5}',
        '{"jsonrpc":"2.0","method":"sleep","params":[10],"id":6}',
        '{"jsonrpc":"2.0","method":"subtract","params":{"minuend":1},"id":7}',
      ].join('\n'),
    );
    const got = lines(out) as { id: number; error: { code: number; message: string } }[];
    assert.deepEqual(got.map((r) => [r.id, r.error.code, r.error.message]), [1, 2, 3, 4, 5, 6, 7].map((id) => [id, -32602, 'Invalid params']));
  });

  test('INTEROP.md §stdio serve: echo returns its params, get_data ["hello", 5], sum adds, sleep answers null', async () => {
    const out = await serveText(
      [
        '{"jsonrpc":"2.0","method":"echo","params":{"a":[1,"é",null]},"id":1}',
        '{"jsonrpc":"2.0","method":"echo","id":2}',
        '{"jsonrpc":"2.0","method":"sum","params":[],"id":3}',
        '{"jsonrpc":"2.0","method":"sleep","params":{"ms":1},"id":4}',
        '{"jsonrpc":"2.0","method":"update","params":[1],"id":5}',
      ].join('\n'),
    );
    assert.deepEqual(lines(out), [
      { jsonrpc: '2.0', result: { a: [1, 'é', null] }, id: 1 },
      { jsonrpc: '2.0', result: null, id: 2 },
      { jsonrpc: '2.0', result: 0, id: 3 },
      { jsonrpc: '2.0', result: null, id: 5 },
      { jsonrpc: '2.0', result: null, id: 4 },
    ]);
  });
});

describe('public surface', () => {
  test('JSON-RPC 2.0 §1: transport agnostic: framing, messages, peer, process and serve are separate exported layers', () => {
    for (const name of ['createDecoder', 'encodeMessage', 'parseText', 'classify', 'JsonRpcPeer', 'spawnPeer', 'ChildPeer', 'serveStdio', 'demoMethods', 'StdioError', 'ErrorCodes']) {
      assert.equal(typeof (stdio as Record<string, unknown>)[name] === 'function' || typeof (stdio as Record<string, unknown>)[name] === 'object', true, name);
    }
    assert.equal(stdio.DEFAULT_MAX_MESSAGE_BYTES, 64 * 1024 * 1024);
  });
});
