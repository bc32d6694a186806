/**
 * The stdio scenario: spawn a child process (barewire's own `stdio serve`,
 * JSON-RPC 2.0 in NDJSON framing), one request/response, a stream of N small
 * requests one after another (round trips), a burst of N in flight at once,
 * then close its stdin and wait for its exit status.
 */
import { fileURLToPath } from 'node:url';
import { spawnPeer } from '../stdio/index.js';
import { createTraceRecorder } from '../trace/index.js';
import { burstRate, now, smallPayload, timeEach, within, type ScenarioResult } from './measure.js';

/** How to start barewire's own CLI in a child: through tsx in a checkout, plain node when built. */
export function cliCommand(...args: string[]): { command: string; args: string[]; cwd: string } {
  const self = fileURLToPath(import.meta.url);
  const fromSource = self.endsWith('.ts');
  const cli = fileURLToPath(new URL(fromSource ? '../cli.ts' : '../cli.js', import.meta.url));
  const root = fileURLToPath(new URL('../..', import.meta.url));
  return { command: process.execPath, args: [...(fromSource ? ['--import', 'tsx'] : []), cli, ...args], cwd: root };
}

export async function stdioScenario(messages: number): Promise<ScenarioResult> {
  const rec = createTraceRecorder();
  const { command, args, cwd } = cliCommand('stdio', 'serve');
  const t0 = now();
  const child = spawnPeer(command, args, { cwd, tracer: rec.tracer });
  try {
    await within(child.ready, 10000, 'starting the child process');
    await within(child.request('echo', ['hello']), 20000, 'the first answer from the child');
    const setupMs = now() - t0;

    const from = rec.events.length;
    const latencyMs = await timeEach(messages, (i) => child.request('echo', [smallPayload(i)]), 'an answer');
    // The pipes have no socket counters: the framing reports each message's
    // exact size on the wire (JSON text and its newline).
    let bytes = 0;
    for (const e of rec.events.slice(from)) if (e.kind === 'message' && e.size !== undefined) bytes += e.size;
    const bytesPerMessage = bytes / (2 * messages);

    const burstPerSecond = await burstRate(messages, () => Promise.all(Array.from({ length: messages }, (_, i) => child.request('echo', [smallPayload(i)]))));

    await within(child.shutdown(), 10000, 'the child to exit');
    return {
      protocol: 'stdio',
      title: 'stdio (JSON-RPC 2.0 over a child process, NDJSON)',
      events: rec.events,
      setupMs,
      latencyMs,
      latencyKind: 'round trip',
      bytesPerMessage,
      burstPerSecond,
      payloadBytes: 16,
      direction: 'both ways (parent and child)',
      browser: 'no (local processes)',
    };
  } finally {
    await child.shutdown({ closeTimeout: 500, termTimeout: 500 }).catch(() => {});
  }
}
