/**
 * grpc.health.v1.Health: the standard health checking service.
 *
 * gRPC health-checking.md:
 * - Check(service) answers the service's serving status; "" stands for the
 *   server as a whole; an unknown service fails with NOT_FOUND.
 * - Watch(service) streams the status at once and then every change; for
 *   an unknown service it sends SERVICE_UNKNOWN and keeps the call open (the
 *   service may be registered later), instead of failing.
 *
 *   const health = new HealthService({ '': 'SERVING', 'pkg.Greeter': 'SERVING' });
 *   server.addService(health.definition, health.implementation());
 *   health.setStatus('pkg.Greeter', 'NOT_SERVING');   // watchers are told
 *
 * INTEROP.md §grpc serve asks for NOT_FOUND for any other name from both
 * methods; `grpc serve` passes { watchUnknown: 'NOT_FOUND' } for that.
 */
import { GrpcError } from './errors.js';
import { interopRoot } from './interop/protos.js';
import { serviceFromProto } from './proto.js';
import type { ServerCall } from './server.js';
import { Status } from './status.js';

export const ServingStatus = { UNKNOWN: 0, SERVING: 1, NOT_SERVING: 2, SERVICE_UNKNOWN: 3 } as const;
export type ServingStatusName = keyof typeof ServingStatus;

export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: number;
}

/** The service definition of grpc.health.v1.Health (protobuf codecs). */
export function healthDefinition() {
  return serviceFromProto(interopRoot().lookupService('grpc.health.v1.Health'));
}

export interface HealthOptions {
  /** What Watch does for an unknown service: stream SERVICE_UNKNOWN (health-checking.md, default) or fail NOT_FOUND. */
  watchUnknown?: 'SERVICE_UNKNOWN' | 'NOT_FOUND';
}

export class HealthService {
  readonly definition = healthDefinition();
  private readonly statuses = new Map<string, number>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly watchUnknown: 'SERVICE_UNKNOWN' | 'NOT_FOUND';

  constructor(initial: Record<string, ServingStatusName> = {}, options: HealthOptions = {}) {
    this.watchUnknown = options.watchUnknown ?? 'SERVICE_UNKNOWN';
    for (const [name, status] of Object.entries(initial)) this.statuses.set(name, ServingStatus[status]);
  }

  /** Set a service's status; every Watch on it hears the change. */
  setStatus(service: string, status: ServingStatusName): void {
    this.statuses.set(service, ServingStatus[status]);
    for (const wake of this.watchers.get(service) ?? []) wake();
  }

  /** Mark every service NOT_SERVING (before a shutdown). */
  shutdown(): void {
    for (const name of [...this.statuses.keys()]) this.setStatus(name, 'NOT_SERVING');
  }

  /** The status of a service, or undefined when it is not known. */
  getStatus(service: string): number | undefined {
    return this.statuses.get(service);
  }

  implementation() {
    return {
      Check: (req: HealthCheckRequest): HealthCheckResponse => {
        const status = this.statuses.get(req.service);
        if (status === undefined) throw new GrpcError(Status.NOT_FOUND, `unknown service ${JSON.stringify(req.service)}`);
        return { status };
      },
      Watch: (req: HealthCheckRequest, call: ServerCall): AsyncIterable<HealthCheckResponse> => this.watch(req.service, call),
    };
  }

  private async *watch(service: string, call: ServerCall): AsyncGenerator<HealthCheckResponse> {
    if (this.watchUnknown === 'NOT_FOUND' && !this.statuses.has(service)) {
      throw new GrpcError(Status.NOT_FOUND, `unknown service ${JSON.stringify(service)}`);
    }
    let wake: (() => void) | undefined;
    let changed = true;
    const onChange = () => {
      changed = true;
      wake?.();
    };
    let set = this.watchers.get(service);
    if (!set) this.watchers.set(service, (set = new Set()));
    set.add(onChange);
    const onAbort = () => wake?.();
    call.signal.addEventListener('abort', onAbort);
    let last: number | undefined;
    try {
      while (!call.signal.aborted) {
        if (changed) {
          changed = false;
          const status = this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            last = status;
            yield { status };
            continue;
          }
        }
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      set.delete(onChange);
      if (set.size === 0) this.watchers.delete(service);
      call.signal.removeEventListener('abort', onAbort);
    }
  }
}
