/**
 * `npm run bench [-- NAME...]`: runs bench/*.bench.ts one after another (or
 * those whose file name contains a NAME), then prints every result as one
 * Markdown table. Never part of `npm test`.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { markdownTable } from './harness.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

console.log(`node ${process.version}, ${files.length} benchmark file(s): ${files.join(', ')}`);
for (const f of files) {
  console.log(`\n=== ${f}`);
  const mod = await import(pathToFileURL(join(dir, f)).href);
  if (typeof mod.default === 'function') await mod.default();
}
console.log('\n' + markdownTable());
