import fs from 'node:fs';
import path from 'node:path';
import { AUDIT_ACTION_LABELS } from '../../server/audit/labels';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? sources(full) : full.endsWith('.ts') ? [full] : [];
  });
}

it('every audit action the server writes has a Chinese label (the audit filter lists the labels)', () => {
  const written = new Set<string>();
  for (const file of sources(path.resolve(__dirname, '../../server'))) {
    const text = fs.readFileSync(file, 'utf8');
    for (const match of text.matchAll(/action: '([a-z]+(?:\.[a-z]+)+|login|logout)'/g)) written.add(match[1]);
    for (const match of text.matchAll(/'(user\.(?:disable|enable))'/g)) written.add(match[1]);
  }
  expect(written.size).toBeGreaterThan(15);
  expect([...written].filter((action) => !(action in AUDIT_ACTION_LABELS))).toEqual([]);
});
