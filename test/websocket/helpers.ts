/**
 * Test helpers for the WebSocket suite: a recording receiver, frame
 * builders, and a raw TCP peer that speaks bytes (for the failure rules
 * a well-behaved client library would never break).
 */
import net from 'node:net';
import { once } from 'node:events';
import { Receiver, type ReceiverOptions } from '../../lib/websocket/receiver.js';
import { encodeFrame } from '../../lib/websocket/frame.js';
import type { WebSocketError } from '../../lib/websocket/errors.js';

export type Rec =
  | { type: 'message'; data: string; binary: boolean; compressed: boolean }
  | { type: 'ping' | 'pong'; data: string }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; code: string; closeCode: number };

/** A receiver whose events land in `events` (payloads as hex, text as text). */
export function recorder(options: Partial<ReceiverOptions> = {}) {
  const events: Rec[] = [];
  const receiver = new Receiver({ role: 'server', ...options }, {
    onMessage: (data, binary, compressed) =>
      events.push({ type: 'message', data: binary || compressed ? Buffer.from(data).toString('hex') : Buffer.from(data).toString('utf8'), binary, compressed }),
    onPing: (p) => events.push({ type: 'ping', data: Buffer.from(p).toString('hex') }),
    onPong: (p) => events.push({ type: 'pong', data: Buffer.from(p).toString('hex') }),
    onClose: (code, reason) => events.push({ type: 'close', code, reason }),
    onError: (e: WebSocketError) => events.push({ type: 'error', code: e.code, closeCode: e.closeCode }),
  });
  return { receiver, events };
}

export const KEY = Uint8Array.from([0x37, 0xfa, 0x21, 0x3d]);

/** A masked (client) frame. */
export function cframe(opcode: number, payload: Uint8Array | string, fin = true, rsv1 = false): Buffer {
  return encodeFrame(opcode, fin, rsv1, typeof payload === 'string' ? Buffer.from(payload) : payload, KEY);
}

/** An unmasked (server) frame. */
export function sframe(opcode: number, payload: Uint8Array | string, fin = true, rsv1 = false): Buffer {
  return encodeFrame(opcode, fin, rsv1, typeof payload === 'string' ? Buffer.from(payload) : payload);
}

export function closeBody(code: number, reason = ''): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(reason));
  b.writeUInt16BE(code, 0);
  b.write(reason, 2);
  return b;
}

export const UPGRADE_HEADERS = [
  'Upgrade: websocket',
  'Connection: Upgrade',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
  'Sec-WebSocket-Version: 13',
];

/**
 * A raw TCP peer: sends the bytes you give it and collects what comes back.
 * `response()` waits for the HTTP head; `frames()` parses server frames.
 */
export class RawPeer {
  readonly socket: net.Socket;
  received = Buffer.alloc(0);
  ended = false;
  private waiters: (() => void)[] = [];

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (c) => {
      this.received = Buffer.concat([this.received, c]);
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {});
  }

  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  /** Open a connection and complete a valid handshake (extra header lines allowed). */
  static async upgraded(port: number, extra: string[] = [], path = '/'): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    peer.write(request(path, extra));
    const head = await peer.response();
    if (!head.startsWith('HTTP/1.1 101')) throw new Error('handshake refused: ' + head);
    return peer;
  }

  write(data: Uint8Array | string): void {
    this.socket.write(data);
  }

  /** Wait until `pred` holds on what was received (or the socket closed), at most `ms`. */
  async until(pred: () => boolean, ms = 10000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (this.ended) return;
      if (Date.now() > deadline) throw new Error('timed out waiting; received ' + this.received.toString('hex').slice(0, 200));
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }

  /** The HTTP response head (consumed from `received`). */
  async response(): Promise<string> {
    await this.until(() => this.received.includes('\r\n\r\n'));
    const end = this.received.indexOf('\r\n\r\n');
    if (end === -1) return this.received.toString('latin1');
    const head = this.received.subarray(0, end).toString('latin1');
    this.received = this.received.subarray(end + 4);
    return head;
  }

  /** The server's frames received so far (unmasked, parsed). */
  frames(): { opcode: number; fin: boolean; rsv: number; payload: Buffer }[] {
    const out = [];
    let pos = 0;
    const b = this.received;
    while (pos + 2 <= b.length) {
      let len = b[pos + 1] & 0x7f;
      let at = pos + 2;
      if (len === 126) {
        if (at + 2 > b.length) break;
        len = b.readUInt16BE(at);
        at += 2;
      } else if (len === 127) {
        if (at + 8 > b.length) break;
        len = Number(b.readBigUInt64BE(at));
        at += 8;
      }
      if (at + len > b.length) break;
      out.push({ opcode: b[pos] & 0xf, fin: (b[pos] & 0x80) !== 0, rsv: (b[pos] >> 4) & 7, payload: b.subarray(at, at + len) });
      pos = at + len;
    }
    return out;
  }

  /** Wait for the server's close frame; returns its code (1005 for an empty body) and whether TCP then closed. */
  async closeFrame(): Promise<{ code: number; reason: string }> {
    await this.until(() => this.frames().some((f) => f.opcode === 8));
    const f = this.frames().find((x) => x.opcode === 8);
    if (!f) throw new Error('no close frame; TCP ' + (this.ended ? 'closed' : 'open'));
    return { code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005, reason: f.payload.subarray(2).toString() };
  }

  async closed(ms = 10000): Promise<void> {
    await this.until(() => false, ms).catch(() => {
      throw new Error('TCP connection still open');
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function request(path = '/', extra: string[] = [], base = UPGRADE_HEADERS): string {
  return [`GET ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...base, ...extra].join('\r\n') + '\r\n\r\n';
}

/** A promise that settles with an event's first occurrence on an EventTarget. */
export function nextEvent<T extends Event>(target: EventTarget, type: string, ms = 10000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within ${ms} ms`)), ms);
    target.addEventListener(type, (e) => {
      clearTimeout(timer);
      resolve(e as T);
    }, { once: true });
  });
}
