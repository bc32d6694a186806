// node:test reporter for `npm run conformance`: every test title starts with
// the clause it checks ("RFC 6455 §5.5.1: ...", "WHATWG HTML §9.2.6: ..."),
// so the results group into a table by specification and section.
//
// Title grammar: `<spec> §<section>: <what>` — the spec is everything before
// " §", the section runs to the first ": ". Titles without " §" are listed
// as uncited.

function parseTitle(name) {
  const mark = name.indexOf(' §');
  if (mark <= 0) return null;
  const colon = name.indexOf(': ', mark);
  if (colon < 0) return null;
  return { spec: name.slice(0, mark), section: name.slice(mark + 1, colon) };
}

function naturalCompare(a, b) {
  return a.localeCompare(b, 'en', { numeric: true });
}

export default async function* conformanceReporter(source) {
  const specs = new Map();
  const uncited = [];
  const failures = [];
  let pass = 0;
  let fail = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const data = event.data;
    if (data.details?.type === 'suite') continue;
    const ok = event.type === 'test:pass';
    if (ok) pass++;
    else {
      fail++;
      failures.push(`${data.name} (${data.file ?? ''})\n    ${String(data.details?.error?.cause ?? data.details?.error ?? '').split('\n')[0]}`);
    }
    const cite = parseTitle(data.name);
    if (!cite) {
      uncited.push(data.name);
      continue;
    }
    if (!specs.has(cite.spec)) specs.set(cite.spec, new Map());
    const sections = specs.get(cite.spec);
    const row = sections.get(cite.section) ?? { pass: 0, fail: 0 };
    if (ok) row.pass++;
    else row.fail++;
    sections.set(cite.section, row);
  }
  const lines = [];
  for (const spec of [...specs.keys()].sort(naturalCompare)) {
    const sections = specs.get(spec);
    let sp = 0;
    let sf = 0;
    for (const r of sections.values()) {
      sp += r.pass;
      sf += r.fail;
    }
    lines.push('', `${spec}  (${sp} passed, ${sf} failed)`);
    lines.push(`  ${'section'.padEnd(40)} ${'passed'.padStart(6)} ${'failed'.padStart(6)}`);
    for (const section of [...sections.keys()].sort(naturalCompare)) {
      const r = sections.get(section);
      lines.push(`  ${section.padEnd(40)} ${String(r.pass).padStart(6)} ${String(r.fail).padStart(6)}${r.fail ? '  <-- FAIL' : ''}`);
    }
  }
  if (uncited.length) {
    lines.push('', `uncited tests (${uncited.length}): titles should start with "<spec> §<section>: "`);
    for (const t of uncited.slice(0, 50)) lines.push(`  ${t}`);
  }
  if (failures.length) {
    lines.push('', 'failures:');
    for (const f of failures) lines.push(`  ${f}`);
  }
  lines.push('', `conformance: ${pass} passed, ${fail} failed`, '');
  yield lines.join('\n');
}
