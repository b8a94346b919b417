import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { ErrorCode } from 'plinth';

describe('docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = [...doc.matchAll(/^\| (-?\d+) \| ([A-Z_]+) \|/gm)].map((m) => [Number(m[1]), m[2]!] as const);

  it('lists every error code the code defines, with its name', () => {
    const documented = new Map(rows.map(([code, name]) => [name, code]));
    for (const [name, code] of Object.entries(ErrorCode)) expect(documented.get(name), name).to.equal(code);
  });

  it('lists no code the code does not define', () => {
    const defined = new Set<string>(Object.keys(ErrorCode));
    for (const [, name] of rows) expect(defined.has(name), name).to.equal(true);
  });
});
