import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  CliError,
  UsageError,
  headerFlags,
  intFlag,
  listFlag,
  parseVerbArgs,
  stringFlag,
  type Verb,
} from '../../lib/cli/command.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('INTEROP.md §common rules: --help at the top level prints usage to stdout and exits 0', () => {
  const r = cli('--help');
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^usage: barewire <protocol> <verb> \[flags\]/);
  assert.equal(r.stderr, '');
});

test('INTEROP.md §common rules: an unknown protocol is one line on stderr and a non-zero exit', () => {
  const r = cli('nope', 'serve');
  assert.equal(r.code, 2);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /unknown protocol "nope"/);
});

test('INTEROP.md §common rules: no arguments prints usage and exits 2 (a usage error)', () => {
  const r = cli();
  assert.equal(r.code, 2);
  assert.match(r.stdout, /usage: barewire/);
});

const verb: Verb = {
  summary: 'test verb',
  usage: 'usage: x',
  options: { port: { type: 'string' }, header: { type: 'string', multiple: true }, trace: { type: 'boolean' } },
  positionals: true,
  run: async () => 0,
};

test('INTEROP.md §common rules: flags are parsed strictly; an unknown flag is a usage error', () => {
  const args = parseVerbArgs(verb, ['--port', '80', '--header', 'A: 1', '--header', 'B:2', 'ws://x/']);
  assert.equal(intFlag(args, 'port', 0), 80);
  assert.equal(intFlag(args, 'missing', 7), 7);
  assert.deepEqual(listFlag(args, 'header'), ['A: 1', 'B:2']);
  assert.deepEqual(listFlag(args, 'missing'), []);
  assert.deepEqual(headerFlags(args), { A: '1', B: '2' });
  assert.equal(stringFlag(args, 'port'), '80');
  assert.equal(stringFlag(args, 'nope', 'd'), 'd');
  assert.deepEqual(args.positionals, ['ws://x/']);
  assert.throws(() => parseVerbArgs(verb, ['--bogus']), UsageError);
  assert.throws(() => intFlag(parseVerbArgs(verb, ['--port', 'x1']), 'port', 0), /whole number/);
  assert.throws(() => intFlag(parseVerbArgs(verb, ['--port', '70000']), 'port', 0, 0, 65535), /between 0 and 65535/);
  assert.throws(() => headerFlags(parseVerbArgs(verb, ['--header', 'nocolon'])), UsageError);
  assert.equal(new CliError('x', 3).exitCode, 3);
  assert.equal(new UsageError('x').exitCode, 2);
});
