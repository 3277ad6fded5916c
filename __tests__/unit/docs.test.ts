import fs from 'node:fs';
import path from 'node:path';

/**
 * The README and docs/ are what a clone of the project has: every relative link points at a file
 * in it (the screenshots included), and nothing points outside it (the shared specification is
 * not part of a clone).
 */

const ROOT = path.resolve(__dirname, '../..');
const pages = [
  'README.md',
  ...fs
    .readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe.each(pages)('%s', (page) => {
  const text = fs.readFileSync(path.join(ROOT, page), 'utf8');
  it('links only to files of the project that exist', () => {
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1])
      .filter((href) => !/^(https?:|mailto:|#)/.test(href))
      .map((href) => decodeURI(href.replace(/#.*$/, '')));
    const missing = targets.filter((href) => {
      const file = path.resolve(path.dirname(path.join(ROOT, page)), href);
      return !file.startsWith(ROOT + path.sep) || !fs.existsSync(file);
    });
    expect(missing).toEqual([]);
    expect(text).not.toContain('../shared');
  });
});

it('the user guide has a screenshot for every role', () => {
  const guide = fs.readFileSync(path.join(ROOT, 'docs/用户指南.md'), 'utf8');
  for (const role of ['复核组组长', '复核人员', '第三方评价机构', '预算单位联系人', '分管领导', '系统管理员']) {
    const section = guide.split(/^## /m).find((s) => s.startsWith(role));
    expect(section).toMatch(/!\[[^\]]*\]\(screenshots\/[^)]+\.png\)/);
  }
});
