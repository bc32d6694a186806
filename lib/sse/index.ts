/**
 * barewire/sse — Server-Sent Events (WHATWG HTML §9.2), from scratch.
 *
 *   parser.ts       bytes -> events: the spec's parsing and interpretation (sans-I/O)
 *   encoder.ts      fields -> wire text, injection-safe
 *   replay.ts       recent events by id, for Last-Event-ID resumption
 *   stream.ts       one server response: headers, heartbeats, backpressure, abort
 *   channel.ts      broadcast: encode once, write to many streams
 *   eventsource.ts  the WHATWG EventSource client on node:http/https
 *   errors.ts       SseError with a stable code (and HTTP status when there is one)
 */
export { createParser, DEFAULT_MAX_EVENT_SIZE, DEFAULT_MAX_LINE_LENGTH } from './parser.js';
export type { EventStreamParser, ParserCallbacks, ParserOptions, ServerSentEvent } from './parser.js';
export { encodeEvent, encodeComment, validateMessage, splitLines } from './encoder.js';
export type { SseMessage } from './encoder.js';
export { ReplayBuffer } from './replay.js';
export type { ReplayOptions } from './replay.js';
export { SseStream, createEventStream, DEFAULT_HEARTBEAT, DEFAULT_MAX_QUEUE_SIZE } from './stream.js';
export type { EventStreamOptions, Request, Response } from './stream.js';
export { SseChannel } from './channel.js';
export type { ChannelOptions } from './channel.js';
export { EventSource, SseErrorEvent } from './eventsource.js';
export type { EventSourceInit } from './eventsource.js';
export { SseError } from './errors.js';
export type { SseErrorCode } from './errors.js';
