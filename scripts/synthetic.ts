/** Synthetic data at scale, for the benchmark and the crash tests. */
import zlib from 'node:zlib';

/**
 * A county-sized population, scaled up: 240 departments, one 部门整体支出 per department and the
 * rest projects, budgets from 0.5 to 50,000 万元 with up to four decimals, dates as bureaus write them.
 */
export function syntheticPopulationCsv(rows: number): Buffer {
  const lines = [
    '类型,编码,主管部门,预算单位,项目名称,资金性质,预算数（万元）,执行数（万元）,自评得分,自评等级,报送日期,联系人,备注',
  ];
  const funds = ['一般公共预算', '政府性基金预算', '上级转移支付'];
  let seed = 20231;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < rows; i += 1) {
    const dept = `县第${(i % 240) + 1}局`;
    const isDepartment = i < 240;
    const budget = Math.round((0.5 + random() * random() * 50000) * 10000);
    const executed = Math.round(budget * (0.5 + random() * 0.5));
    const score = 6000 + Math.floor(random() * 4000);
    const grade = score >= 9000 ? '优' : score >= 8000 ? '良' : '中';
    const day = 1 + Math.floor(random() * 40);
    const date = day <= 31 ? `2024-03-${String(day).padStart(2, '0')}` : `2024/4/${day - 31}`;
    lines.push(
      [
        isDepartment ? '部门整体支出' : '项目支出',
        isDepartment ? `D${String(i + 1).padStart(6, '0')}` : `P${String(i + 1).padStart(6, '0')}`,
        dept,
        isDepartment ? dept : `${dept}第${(i % 7) + 1}中心`,
        isDepartment ? '' : `项目${i + 1}号民生工程`,
        funds[i % 3],
        (budget / 10000).toFixed(4),
        (executed / 10000).toFixed(4),
        (score / 100).toFixed(2),
        grade,
        date,
        '',
        '',
      ].join(','),
    );
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

/** A zip archive of these entries, deflated at the fastest level. */
export function zipOf(entries: Array<{ name: string; content: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  const directory: Buffer[] = [];
  let offset = 0;
  for (const { name, content } of entries) {
    const data = zlib.deflateRawSync(content, { level: 1 });
    const nameBytes = Buffer.from(name);
    const crc = zlib.crc32(content);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(content.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(content.length, 24);
    central.writeUInt16LE(nameBytes.length, 28);
    central.writeUInt32LE(offset, 42);
    parts.push(local, nameBytes, data);
    directory.push(central, nameBytes);
    offset += local.length + nameBytes.length + data.length;
  }
  const size = directory.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, ...directory, end]);
}

/**
 * A real workbook of one sheet whose cells are `strings` distinct shared strings of `length`
 * characters each: small as a file (the strings compress about tenfold, well inside the zip
 * checks' ratio), large once inflated and larger still once a spreadsheet library holds it.
 */
export function workbookWithStrings(strings: number, length = 40): Buffer {
  const xml = (body: string) => Buffer.from(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n${body}`);
  const shared: string[] = [];
  const rows: string[] = [];
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  for (let i = 0; i < strings; i += 1) {
    let text = `项目${i}`;
    while (text.length < length) text += 'ABCDEFGH'[Math.floor(random() * 8)];
    shared.push(`<si><t>${text}</t></si>`);
    rows.push(`<row r="${i + 1}"><c r="A${i + 1}" t="s"><v>${i}</v></c></row>`);
  }
  return zipOf([
    {
      name: '[Content_Types].xml',
      content: xml(
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
      ),
    },
    {
      name: '_rels/.rels',
      content: xml(
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
      ),
    },
    {
      name: 'xl/workbook.xml',
      content: xml(
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="自评汇总" sheetId="1" r:id="rId1"/></sheets></workbook>',
      ),
    },
    {
      name: 'xl/_rels/workbook.xml.rels',
      content: xml(
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
      ),
    },
    {
      name: 'xl/worksheets/sheet1.xml',
      content: xml(
        `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${rows.join('')}</sheetData></worksheet>`,
      ),
    },
    {
      name: 'xl/sharedStrings.xml',
      content: xml(
        `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="${strings}" uniqueCount="${strings}">${shared.join('')}</sst>`,
      ),
    },
  ]);
}

/**
 * A workbook whose shared strings inflate to `inflatedBytes`, about ten times its own size (the
 * attack of a 35 MB file that inflates to 390 MB): each part passes the zip checks' ratio, and
 * only the inflated total tells it apart. An 8 MB block of strings is repeated: deflate looks
 * back only 32 KB, so the repeats compress no better than fresh strings would.
 */
export function oversizedWorkbook(inflatedBytes: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < 150_000; i += 1) {
    let text = '';
    for (let j = 0; j < 40; j += 1)
      text += Math.random() < 0.97 ? 'A' : 'BCDEFGHIJKLMNOP'[Math.floor(Math.random() * 15)];
    parts.push(`<si><t>${text}</t></si>`);
  }
  const block = Buffer.from(parts.join(''));
  const head = Buffer.from(
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
  );
  const strings = Buffer.concat([
    head,
    ...Array<Buffer>(Math.ceil(inflatedBytes / block.length)).fill(block),
    Buffer.from('</sst>'),
  ]);
  const small = workbookWithStrings(1);
  // The small workbook's parts, with its shared strings replaced by the large ones.
  return zipOf([
    ...unzipNames(small).filter((e) => e.name !== 'xl/sharedStrings.xml'),
    { name: 'xl/sharedStrings.xml', content: strings },
  ]);
}

/** The entries of a zip written by zipOf. */
function unzipNames(zip: Buffer): Array<{ name: string; content: Buffer }> {
  const entries: Array<{ name: string; content: Buffer }> = [];
  let at = 0;
  while (zip.readUInt32LE(at) === 0x04034b50) {
    const compressed = zip.readUInt32LE(at + 18);
    const nameLength = zip.readUInt16LE(at + 26);
    const name = zip.subarray(at + 30, at + 30 + nameLength).toString();
    const start = at + 30 + nameLength;
    entries.push({ name, content: zlib.inflateRawSync(zip.subarray(start, start + compressed)) });
    at = start + compressed;
  }
  return entries;
}
