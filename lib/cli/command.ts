/**
 * The shape of a `barewire <protocol> <verb>` command, shared by every
 * protocol's lib/<protocol>/cli.ts, and the rules of shared/INTEROP.md that
 * all verbs follow: --help everywhere, errors as one line on stderr, usage
 * errors exit 2, `serve` verbs run until SIGINT/SIGTERM.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface Verb {
  /** One line for the protocol's help. */
  summary: string;
  /** The full usage text that `--help` prints. */
  usage: string;
  options: Options;
  /** Whether positional arguments (a URL, `-- COMMAND ARGS`) are taken. */
  positionals?: boolean;
  /** Run the verb; resolve to the exit code. */
  run(args: ParsedArgs): Promise<number>;
}

export interface ProtocolCommand {
  summary: string;
  verbs: Record<string, Verb>;
}

/** A mistake in how the command was called: exit 2, usage hint on stderr. */
export class UsageError extends Error {
  readonly exitCode = 2;
}

/** A failure with a chosen exit code and one-line reason. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Parse a verb's flags strictly; unknown flags are usage errors. */
export function parseVerbArgs(verb: Verb, argv: string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...verb.options, help: { type: 'boolean' }, debug: { type: 'boolean' } },
      allowPositionals: verb.positionals ?? false,
      strict: true,
    });
    return { values: values as ParsedArgs['values'], positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A flag that must be a whole number in [min, max]. */
export function intFlag(args: ParsedArgs, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !/^\d+$/.test(raw)) throw new UsageError(`--${name} takes a whole number, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function stringFlag(args: ParsedArgs, name: string, fallback: string): string;
export function stringFlag(args: ParsedArgs, name: string): string | undefined;
export function stringFlag(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const raw = args.values[name];
  if (raw === undefined) return fallback;
  return String(raw);
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const raw = args.values[name];
  if (raw === undefined) return [];
  return (Array.isArray(raw) ? raw : [raw]).map(String);
}

/** `--header 'K: V'` values as a header object; a value without a colon is a usage error. */
export function headerFlags(args: ParsedArgs, name = 'header'): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const h of listFlag(args, name)) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`--${name} takes 'Name: value', got ${JSON.stringify(h)}`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  return headers;
}

let armed = false;
let received: NodeJS.Signals | undefined;

/**
 * Catch SIGINT and SIGTERM from now on, before a `serve` verb prints its
 * `listening on` line: a peer may signal as soon as it reads that line, and a
 * signal that arrived before untilSignal() was called must still shut the
 * server down gracefully (exit 0), not kill it. A second signal exits at once.
 * The dispatcher arms this for `serve` verbs and the playground.
 */
export function armSignals(): void {
  if (armed) return;
  armed = true;
  const record = (sig: NodeJS.Signals) => {
    if (received !== undefined) process.exit(1);
    received = sig;
  };
  process.on('SIGINT', record);
  process.on('SIGTERM', record);
}

/** Resolve on the first SIGINT or SIGTERM (for `serve` verbs), with the signal's name. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    if (received !== undefined) {
      resolve(received);
      return;
    }
    const on = (sig: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(sig);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
