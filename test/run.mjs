#!/usr/bin/env node
// Runs every test/**/*.test.ts with node:test through tsx.
//   node test/run.mjs                 all tests (npm test runs this under c8)
//   node test/run.mjs test/bytes      only the files under a folder or matching a path part
//   node test/run.mjs --conformance   same, reported as a table by specification and section
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const conformance = args.includes('--conformance');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

// Browser tests have their own command (npm run test:browser).
let files = walk(join(root, 'test')).filter((f) => !f.includes('browser'));
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x.replace(/^\.\//, ''))));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

const nodeArgs = ['--import', 'tsx', '--test', '--test-concurrency=4', '--test-timeout=120000'];
if (conformance) nodeArgs.push('--test-reporter=./test/support/conformance-reporter.mjs', '--test-reporter-destination=stdout');
else nodeArgs.push('--test-reporter=spec', '--test-reporter-destination=stdout');
const child = spawn(process.execPath, [...nodeArgs, ...files], { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
