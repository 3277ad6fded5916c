/**
 * What an uploaded evidence file is, from its bytes: PDF, images, Office documents (OOXML and the
 * old binary formats) and OFD, the Chinese e-document format. Anything else — HTML, scripts,
 * executables, archives — is refused, and so is a file whose name claims another type.
 */

export interface FileType {
  mediaType: string;
  label: string;
  extensions: string[];
}

const TYPES: Record<string, FileType> = {
  pdf: { mediaType: 'application/pdf', label: 'PDF', extensions: ['pdf'] },
  png: { mediaType: 'image/png', label: 'PNG 图片', extensions: ['png'] },
  jpeg: { mediaType: 'image/jpeg', label: 'JPEG 图片', extensions: ['jpg', 'jpeg'] },
  gif: { mediaType: 'image/gif', label: 'GIF 图片', extensions: ['gif'] },
  webp: { mediaType: 'image/webp', label: 'WebP 图片', extensions: ['webp'] },
  docx: {
    mediaType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    label: 'Word 文档',
    extensions: ['docx'],
  },
  xlsx: {
    mediaType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    label: 'Excel 工作簿',
    extensions: ['xlsx'],
  },
  pptx: {
    mediaType: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    label: 'PowerPoint 演示文稿',
    extensions: ['pptx'],
  },
  ole: {
    mediaType: 'application/x-ole-storage',
    label: '旧版 Office 文档',
    extensions: ['doc', 'xls', 'ppt', 'wps', 'et'],
  },
  ofd: { mediaType: 'application/ofd', label: 'OFD 版式文档', extensions: ['ofd'] },
};

const startsWith = (data: Buffer, bytes: number[], at = 0) => bytes.every((b, i) => data[at + i] === b);

/** The zip's entry names, from its central directory (enough to tell docx from xlsx from ofd). */
function zipNames(data: Buffer): string[] {
  const names: string[] = [];
  for (let i = data.length - 22; i >= Math.max(0, data.length - 65557); i--) {
    if (data.readUInt32LE(i) !== 0x06054b50) continue;
    let at = data.readUInt32LE(i + 16);
    const count = data.readUInt16LE(i + 10);
    for (let e = 0; e < count && at + 46 <= data.length && data.readUInt32LE(at) === 0x02014b50; e++) {
      const nameLength = data.readUInt16LE(at + 28);
      names.push(data.subarray(at + 46, at + 46 + nameLength).toString('utf8'));
      at += 46 + nameLength + data.readUInt16LE(at + 30) + data.readUInt16LE(at + 32);
    }
    break;
  }
  return names;
}

export function detectFileType(data: Buffer): FileType | undefined {
  if (data.length < 8) return undefined;
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return TYPES.pdf;
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return TYPES.png;
  if (startsWith(data, [0xff, 0xd8, 0xff])) return TYPES.jpeg;
  if (data.subarray(0, 4).toString('latin1') === 'GIF8') return TYPES.gif;
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP')
    return TYPES.webp;
  if (startsWith(data, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return TYPES.ole;
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04])) {
    const names = zipNames(data);
    if (names.includes('[Content_Types].xml')) {
      if (names.some((n) => n.startsWith('word/'))) return TYPES.docx;
      if (names.some((n) => n.startsWith('xl/'))) return TYPES.xlsx;
      if (names.some((n) => n.startsWith('ppt/'))) return TYPES.pptx;
    }
    if (names.includes('OFD.xml')) return TYPES.ofd;
  }
  return undefined;
}

export const ACCEPTED_LABELS = [...new Set(Object.values(TYPES).map((t) => t.label))].join('、');

/** Whether a file's name (its extension) agrees with what its bytes are. */
export function nameMatches(name: string, type: FileType): boolean {
  const match = /\.([A-Za-z0-9]+)$/.exec(name);
  return match !== null && type.extensions.includes(match[1].toLowerCase());
}
