import fs from 'node:fs';
import path from 'node:path';

/** Every file of a directory tree whose name ends with one of `endings`. */
function filesUnder(dir: string, endings: string[]): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full, endings);
    return endings.some((e) => entry.name.endsWith(e)) ? [full] : [];
  });
}

describe('the words people read', () => {
  const root = path.resolve(__dirname, '../..');
  const texts = [
    ...filesUnder(path.join(root, 'views'), ['.hbs']),
    ...filesUnder(path.join(root, 'server'), ['.ts']),
    path.join(root, 'static/js/app.js'),
  ];

  it('address the user one way, as 您 (never 你)', () => {
    const informal = texts.filter((file) => fs.readFileSync(file, 'utf8').includes('你'));
    expect(informal.map((file) => path.relative(root, file))).toEqual([]);
  });
});
