/**
 * GrpcError: the one error type of barewire/grpc. Every failed call, on
 * either side, is a GrpcError carrying the gRPC status code, its stable name
 * ("DEADLINE_EXCEEDED"), the status message and any trailing metadata.
 *
 * A server handler throws one to end a call with that status; anything else
 * it throws becomes INTERNAL (the error's text is not sent to the peer).
 */
import { Metadata } from './metadata.js';
import { Status, statusName, type StatusCode } from './status.js';

export class GrpcError extends Error {
  /** The gRPC status code (gRPC doc/statuscodes.md). */
  readonly code: number;
  /** The code's name, a stable string: 'UNAVAILABLE', 'RESOURCE_EXHAUSTED', ... */
  readonly codeName: string;
  /** The status message as sent in grpc-message (without the code name). */
  readonly details: string;
  /** Trailing metadata that came with the status (or goes with it, on a server). */
  readonly metadata: Metadata;

  constructor(code: StatusCode | number, details = '', metadata?: Metadata, options?: { cause?: unknown }) {
    super(`${statusName(code)}: ${details || '(no message)'}`, options);
    this.name = 'GrpcError';
    this.code = code;
    this.codeName = statusName(code);
    this.details = details;
    this.metadata = metadata ?? new Metadata();
  }
}

export function isGrpcError(err: unknown): err is GrpcError {
  return err instanceof GrpcError;
}

/** The error a call ends with when a handler threw something that is not a GrpcError. */
export function internalFrom(err: unknown): GrpcError {
  if (err instanceof GrpcError) return err;
  return new GrpcError(Status.INTERNAL, 'handler failed', undefined, { cause: err });
}
