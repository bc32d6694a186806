#!/usr/bin/env node
/**
 * The `barewire` command: `barewire <protocol> <verb> [flags]`, as
 * shared/INTEROP.md fixes it. Each protocol's verbs live in
 * lib/<protocol>/cli.ts and load only when called.
 *
 * In a checkout: `node --import tsx lib/cli.ts ...` (or `npx tsx lib/cli.ts ...`).
 * Installed: `barewire ...`.
 */
import { CliError, UsageError, armSignals, parseVerbArgs, type ProtocolCommand, type Verb } from './cli/command.js';

interface Entry {
  summary: string;
  load(): Promise<ProtocolCommand>;
}

interface TopEntry {
  summary: string;
  load(): Promise<Verb>;
}

/** Commands that are not a protocol: `barewire tour`, `barewire playground`. */
const commands: Record<string, TopEntry> = {
  tour: { summary: 'all five protocols on the wire, drawn and measured side by side', load: async () => (await import('./tour/cli.js')).verb },
  playground: { summary: 'a page in your browser: WebSocket, SSE and HTTP side by side', load: async () => (await import('./playground/cli.js')).verb },
};

/** Each protocol adds its line here when its verbs land. */
const protocols: Record<string, Entry> = {
  ws: { summary: 'WebSocket (RFC 6455, RFC 7692)', load: async () => (await import('./websocket/cli.js')).command },
  protobuf: { summary: 'protobuf-lite: proto3 wire format, .proto files, proto3 JSON', load: async () => (await import('./protobuf/cli.js')).command },
  grpc: { summary: 'gRPC over HTTP/2 (gRPC PROTOCOL-HTTP2), protobuf-lite', load: async () => (await import('./grpc/cli.js')).command },
  http: { summary: 'HTTP API (RFC 9110, RFC 9111, RFC 9457)', load: async () => (await import('./http/cli.js')).command },
  sse: { summary: 'Server-Sent Events (WHATWG HTML, "Server-sent events")', load: async () => (await import('./sse/cli.js')).command },
  stdio: { summary: 'JSON-RPC 2.0 over stdin/stdout (NDJSON as MCP, Content-Length as LSP)', load: async () => (await import('./stdio/cli.js')).command },
};

function mainHelp(): string {
  const names = Object.keys(protocols);
  const width = Math.max(8, ...names.map((n) => n.length));
  const rows = names.map((n) => `  ${n.padEnd(width)}  ${protocols[n].summary}`);
  return [
    'usage: barewire <protocol> <verb> [flags]',
    '',
    'Minimal, zero-dependency implementations of five ways servers talk.',
    '',
    'protocols:',
    ...(rows.length ? rows : ['  (none yet)']),
    ...(Object.keys(commands).length ? ['', 'commands:', ...Object.keys(commands).map((n) => `  ${n.padEnd(width)}  ${commands[n].summary}`)] : []),
    '',
    'Every level takes --help. Errors are one line on stderr; --debug adds the stack.',
  ].join('\n');
}

function protocolHelp(name: string, cmd: ProtocolCommand): string {
  const verbs = Object.keys(cmd.verbs);
  const width = Math.max(8, ...verbs.map((v) => v.length));
  return [
    `usage: barewire ${name} <verb> [flags]`,
    '',
    cmd.summary,
    '',
    'verbs:',
    ...verbs.map((v) => `  ${v.padEnd(width)}  ${cmd.verbs[v].summary}`),
    '',
    `barewire ${name} <verb> --help shows a verb's flags.`,
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  // Output piped into `head` and closed early is not an error of ours.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
  try {
    const [name, verbName, ...rest] = argv;
    if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(mainHelp() + '\n');
      return name === undefined ? 2 : 0;
    }
    const top = commands[name];
    if (top) {
      const verb = await top.load();
      const all = [verbName, ...rest].filter((a): a is string => a !== undefined);
      if (all.includes('--help') || all.includes('-h')) {
        process.stdout.write(verb.usage.trimEnd() + '\n');
        return 0;
      }
      if (name === 'playground') armSignals();
      return await verb.run(parseVerbArgs(verb, all));
    }
    const entry = protocols[name];
    if (!entry) throw new UsageError(`unknown protocol ${JSON.stringify(name)}; try barewire --help`);
    const cmd = await entry.load();
    if (verbName === undefined || verbName === '--help' || verbName === '-h') {
      process.stdout.write(protocolHelp(name, cmd) + '\n');
      return verbName === undefined ? 2 : 0;
    }
    const verb = cmd.verbs[verbName];
    if (!verb) throw new UsageError(`unknown verb ${JSON.stringify(verbName)} for ${name}; try barewire ${name} --help`);
    if (rest.includes('--help') && !rest.slice(0, rest.indexOf('--help')).includes('--')) {
      process.stdout.write(verb.usage.trimEnd() + '\n');
      return 0;
    }
    if (verbName === 'serve') armSignals();
    return await verb.run(parseVerbArgs(verb, rest));
  } catch (err) {
    const e = err as Error;
    const reason = (e?.message ?? String(err)).split('\n')[0];
    process.stderr.write(`barewire: ${reason}\n`);
    if (debug && e?.stack) process.stderr.write(e.stack + '\n');
    if (err instanceof UsageError || err instanceof CliError) return err.exitCode;
    return 1;
  }
}

// Run when executed directly (node lib/cli.ts, node dist/cli.js, the bin link).
const invoked = process.argv[1] ?? '';
if (/(?:^|[\\/])(?:cli\.[jt]s|barewire)$/.test(invoked)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`barewire: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
