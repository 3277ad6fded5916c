/**
 * Uploaded spreadsheets into sheets of cells. A CSV is decoded (UTF-8 with or without BOM,
 * UTF-16 with BOM, or GB18030/GBK as Excel on Chinese Windows writes it) and split; an `.xlsx` is
 * checked as a zip archive before anything opens it, then read with exceljs. What a file is comes
 * from its bytes, not its name.
 */

import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import ExcelJS from 'exceljs';
import { Cell } from '../domain/cells';
import { Sheet } from '../domain/population';

export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/**
 * What a workbook may hold before anything opens it: entries, inflated bytes in all (100 MB is
 * about 180,000 rows; larger populations come as CSV) and the compression ratio of each entry.
 */
export interface ZipLimits {
  entries: number;
  totalBytes: number;
  ratio: number;
}
export const ZIP_LIMITS: ZipLimits = { entries: 2000, totalBytes: 100 * 1024 * 1024, ratio: 200 };

/** A file the import cannot read at all: the message says why, in words a user can act on. */
export class UnreadableFile extends Error {}

export type FileFormat = 'csv' | 'xlsx';

export function detectFormat(data: Buffer): FileFormat {
  if (data.length === 0) throw new UnreadableFile('文件是空的');
  if (data.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]))) return 'xlsx';
  if (data.subarray(0, 4).equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0]))) {
    throw new UnreadableFile('这是旧版 Excel（.xls）文件，请在 Excel 中"另存为"Excel 工作簿（.xlsx）或 CSV 后再导入');
  }
  if (data.subarray(0, 5).toString('latin1') === '%PDF-')
    throw new UnreadableFile('这是 PDF 文件，请上传 .xlsx 或 .csv 文件');
  if (data.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x05, 0x06])))
    throw new UnreadableFile('这是一个空的压缩文件，不是 .xlsx 文件');
  return 'csv';
}

// ---------------------------------------------------------------------------------------------
// CSV

export type TextEncodingName = 'UTF-8' | 'UTF-16' | 'GB18030';

export function decodeText(data: Buffer): { text: string; encoding: TextEncodingName } {
  if (data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf) {
    const rest = data.subarray(3);
    if (!isUtf8(rest)) throw new UnreadableFile('文件声明为 UTF-8 编码，但其中有无效字符');
    return { text: rest.toString('utf8'), encoding: 'UTF-8' };
  }
  if ((data[0] === 0xff && data[1] === 0xfe) || (data[0] === 0xfe && data[1] === 0xff)) {
    const label = data[0] === 0xff ? 'utf-16le' : 'utf-16be';
    return { text: decodeStrict(label, data.subarray(2), 'UTF-16'), encoding: 'UTF-16' };
  }
  // Text files have no NUL bytes; spreadsheets saved as something else (or images) do.
  if (data.subarray(0, 64 * 1024).includes(0))
    throw new UnreadableFile('不是 CSV 文本文件，也不是 .xlsx 文件，无法读取');
  // isUtf8 checks without decoding; toString then decodes faster than a fatal TextDecoder.
  if (isUtf8(data)) return { text: data.toString('utf8'), encoding: 'UTF-8' };
  try {
    return { text: new TextDecoder('gb18030', { fatal: true }).decode(data), encoding: 'GB18030' };
  } catch {
    throw new UnreadableFile('无法识别文件编码：CSV 文件应为 UTF-8 或 GB18030（GBK）编码');
  }
}

function decodeStrict(label: string, data: Buffer, name: string): string {
  try {
    return new TextDecoder(label, { fatal: true }).decode(data);
  } catch {
    throw new UnreadableFile(`文件声明为 ${name} 编码，但其中有无效字符`);
  }
}

/** Comma or tab, whichever the header line (outside quotes) has more of. */
function delimiterOf(text: string): string {
  let commas = 0;
  let tabs = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (!quoted && (c === 10 || c === 13)) break;
    else if (!quoted && c === 44) commas++;
    else if (!quoted && c === 9) tabs++;
  }
  return tabs > commas ? '\t' : ',';
}

/**
 * RFC 4180 with Excel's habits: quoted fields may hold delimiters, quotes ("") and line breaks;
 * lines end in CRLF or LF. Row numbers are record numbers, as Excel would show them.
 */
export function parseCsv(text: string, sheetName: string, maxRows: number): Sheet {
  const delimiter = delimiterOf(text).charCodeAt(0);
  const rows: Sheet['rows'] = [];
  let cells: Cell[] = [];
  let field = '';
  let i = 0;
  const n = text.length;
  let rowStart = true;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (rowStart && c !== 10 && c !== 13) rowStart = false;
    if (c === 34 && field === '') {
      // Quoted field: up to the closing quote; "" is a quote.
      i++;
      let start = i;
      let value = '';
      for (;;) {
        const q = text.indexOf('"', i);
        if (q === -1) throw new UnreadableFile(`CSV 第${rows.length + 1}行有未闭合的引号`);
        if (text.charCodeAt(q + 1) === 34) {
          value += text.slice(start, q + 1);
          i = q + 2;
          start = i;
          continue;
        }
        value += text.slice(start, q);
        i = q + 1;
        break;
      }
      // Text after the closing quote (a"b"c) is kept, as Excel does.
      let end = i;
      while (
        end < n &&
        text.charCodeAt(end) !== delimiter &&
        text.charCodeAt(end) !== 10 &&
        text.charCodeAt(end) !== 13
      )
        end++;
      field = value + text.slice(i, end);
      i = end;
      continue;
    }
    if (c === delimiter) {
      cells.push(field);
      field = '';
      i++;
      continue;
    }
    if (c === 10 || c === 13) {
      cells.push(field);
      rows.push({ number: rows.length + 1, cells });
      if (rows.length > maxRows + 1) throw new UnreadableFile(`文件超过${maxRows.toLocaleString('en-US')}行`);
      cells = [];
      field = '';
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
      rowStart = true;
      continue;
    }
    let end = i + 1;
    while (end < n) {
      const d = text.charCodeAt(end);
      if (d === delimiter || d === 10 || d === 13) break;
      end++;
    }
    field += text.slice(i, end);
    i = end;
  }
  if (!rowStart || field !== '' || cells.length > 0) {
    cells.push(field);
    rows.push({ number: rows.length + 1, cells });
  }
  return { name: sheetName, rows };
}

// ---------------------------------------------------------------------------------------------
// XLSX

/**
 * Reads the zip's central directory and inflates every entry with its declared size as the
 * ceiling, so that a zip bomb (or an entry that lies about its size) is refused before exceljs
 * ever holds it in memory.
 */
export function checkZip(data: Buffer, limits: ZipLimits = ZIP_LIMITS): void {
  const bad = (why: string) => new UnreadableFile(`.xlsx 文件已损坏或不安全：${why}`);
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 22 - 0xffff); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw bad('找不到压缩目录');
  const entries = data.readUInt16LE(eocd + 10);
  const directoryOffset = data.readUInt32LE(eocd + 16);
  if (entries === 0xffff || directoryOffset === 0xffffffff) throw bad('不支持 ZIP64 格式');
  if (entries > limits.entries) throw bad(`包含 ${entries} 个内部文件，超过上限 ${limits.entries}`);
  let total = 0;
  let at = directoryOffset;
  for (let e = 0; e < entries; e++) {
    if (at + 46 > data.length || data.readUInt32LE(at) !== 0x02014b50) throw bad('压缩目录不完整');
    const method = data.readUInt16LE(at + 10);
    const compressed = data.readUInt32LE(at + 20);
    const size = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const localOffset = data.readUInt32LE(at + 42);
    total += size;
    if (total > limits.totalBytes)
      throw bad(`解压后超过 ${Math.round(limits.totalBytes / 1024 / 1024)} MB 上限；数据量大的请另存为 CSV 后再上传`);
    if (compressed > 0 && size / compressed > limits.ratio) throw bad('压缩比异常（疑似压缩炸弹）');
    if (localOffset + 30 > data.length || data.readUInt32LE(localOffset) !== 0x04034b50) throw bad('内部文件头损坏');
    const start = localOffset + 30 + data.readUInt16LE(localOffset + 26) + data.readUInt16LE(localOffset + 28);
    const body = data.subarray(start, start + compressed);
    if (body.length !== compressed) throw bad('内部文件被截断');
    if (method === 8) {
      let inflated: Buffer;
      try {
        inflated = zlib.inflateRawSync(body, { maxOutputLength: Math.max(size, 1) });
      } catch {
        throw bad('内部文件的实际大小与声明不符（疑似压缩炸弹）');
      }
      if (inflated.length !== size) throw bad('内部文件的实际大小与声明不符');
    } else if (method !== 0) {
      throw bad(`不支持的压缩方式 ${method}`);
    }
    at += 46 + nameLength + extraLength + commentLength;
  }
}

type ExcelValue = ExcelJS.CellValue;

/** An exceljs value as a cell: rich text joined, a formula as its cached result, errors kept as errors. */
export function excelCell(value: ExcelValue): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value instanceof Date) return value;
  if (typeof value === 'object') {
    if ('richText' in value) return value.richText.map((part) => part.text).join('');
    if ('formula' in value || 'sharedFormula' in value) {
      const result = (value as ExcelJS.CellFormulaValue).result;
      if (result === undefined || result === null)
        return { error: '公式没有计算结果，请在 Excel 中重新计算并保存，或改为数值' };
      return excelCell(result as ExcelValue);
    }
    if ('error' in value) return { error: `单元格是错误值 ${String(value.error)}` };
    if ('hyperlink' in value) return excelCell((value as ExcelJS.CellHyperlinkValue).text as ExcelValue);
  }
  return String(value);
}

export async function readWorkbook(data: Buffer, limits: ZipLimits = ZIP_LIMITS): Promise<ExcelJS.Workbook> {
  checkZip(data, limits);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(data as unknown as ArrayBuffer);
  } catch {
    throw new UnreadableFile('无法读取 .xlsx 文件：文件已损坏，或不是 Excel 工作簿');
  }
  return workbook;
}

export function sheetOf(worksheet: ExcelJS.Worksheet, maxRows: number): Sheet {
  if (worksheet.rowCount > maxRows + 1)
    throw new UnreadableFile(`工作表"${worksheet.name}"超过${maxRows.toLocaleString('en-US')}行`);
  const rows: Sheet['rows'] = [];
  worksheet.eachRow({ includeEmpty: false }, (row) => {
    const cells: Cell[] = [];
    row.eachCell({ includeEmpty: true }, (cell, column) => {
      cells[column - 1] = excelCell(cell.value);
    });
    for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) cells[i] = null;
    rows.push({ number: row.number, cells });
  });
  return { name: worksheet.name, rows };
}

/** The sheet with this name, ignoring surrounding spaces. */
export function findWorksheet(workbook: ExcelJS.Workbook, name: string): ExcelJS.Worksheet | undefined {
  return workbook.worksheets.find((ws) => ws.name.trim() === name);
}
