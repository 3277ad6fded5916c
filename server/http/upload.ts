import path from 'node:path';
import busboy from 'busboy';
import { Request } from 'express';
import { badRequest, HttpError } from './errors';

export interface ReceivedFile {
  name: string;
  data: Buffer;
}

export interface Multipart {
  files: Record<string, ReceivedFile>;
  fields: Record<string, string>;
}

export function isMultipart(req: Request): boolean {
  return (req.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

/** A file name as something safe to show and store: no path, no control or bidi characters. */
function cleanName(name: string): string {
  const base = path
    .basename(name.replace(/\\/g, '/'))
    .replace(/[\u0000-\u001f\u007f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .trim();
  return base.slice(0, 200) || '未命名文件';
}

const INTERRUPTED = '上传中断或表单格式不正确，请重试';

/**
 * A file's bytes, copied as they arrive into one shared buffer: no large copy at the end (a
 * 40 MB `Buffer.concat` held the server's thread for a tenth of a second), and the file reader's
 * thread is handed the same memory rather than a copy. Pages of the buffer are only committed
 * as they are written, so sizing it by the body's length costs nothing for small files.
 */
function receiver(capacity: number) {
  const buffer = Buffer.from(new SharedArrayBuffer(capacity));
  let length = 0;
  return {
    add(chunk: Buffer) {
      // Past the capacity is past the limit: busboy reports it ('limit'), the rest is dropped.
      length += chunk.copy(buffer, length);
    },
    bytes: () => buffer.subarray(0, length),
  };
}

/**
 * Reads a multipart form into memory, accepting only the named file fields, each up to
 * `maxFileBytes`. An empty file input (nothing chosen) counts as absent. Too large is 413.
 *
 * Every stream on the way (the request, the parser, each file part) has its errors handled and
 * the promise settles once: a body cut off inside a file part, a malformed boundary or a client
 * that goes away is a 400, never an unhandled `error` event that would end the process.
 */
export function readMultipart(
  req: Request,
  options: { fileFields: string[]; maxFileBytes: number },
): Promise<Multipart> {
  if (!isMultipart(req)) return Promise.reject(badRequest('请以 multipart/form-data 方式上传文件（字段名 file）'));
  return new Promise((resolve, reject) => {
    let settled = false;
    let parser: busboy.Busboy;
    const fail = (error: HttpError) => {
      if (settled) return;
      settled = true;
      // Stop reading into the parser; whatever else the client sends is discarded.
      req.unpipe(parser);
      req.resume();
      reject(error);
    };
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: {
          fileSize: options.maxFileBytes,
          files: options.fileFields.length,
          fields: 20,
          fieldSize: 64 * 1024,
          parts: 30,
        },
      });
    } catch {
      return reject(badRequest('上传的表单格式不正确'));
    }
    const files: Record<string, ReceivedFile> = {};
    const fields: Record<string, string> = {};
    // The body's length bounds each file's; without one, the file limit does.
    const declaredLength = Number(req.get('content-length')) || options.maxFileBytes + 1;
    let failure: HttpError | undefined;
    const pending: Array<Promise<void>> = [];

    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      // A part's stream emits `error` when the body ends inside it: handled here, on every part.
      stream.on('error', () => fail(badRequest(INTERRUPTED)));
      if (!options.fileFields.includes(field)) {
        stream.resume();
        return;
      }
      const received = receiver(Math.min(declaredLength, options.maxFileBytes + 1));
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => received.add(chunk));
          stream.on('limit', () => {
            failure = new HttpError(
              413,
              'too_large',
              `文件"${cleanName(info.filename ?? '')}"超过 ${Math.round(options.maxFileBytes / 1024 / 1024)} MB 上限`,
            );
          });
          stream.on('close', () => {
            const data = received.bytes();
            if (info.filename || data.length > 0) files[field] = { name: cleanName(info.filename ?? ''), data };
            done();
          });
        }),
      );
    });
    parser.on('filesLimit', () => {
      failure ??= badRequest('上传的文件太多');
    });
    parser.on('partsLimit', () => {
      failure ??= badRequest('上传的表单项太多');
    });
    parser.on('error', () => fail(badRequest(INTERRUPTED)));
    parser.on('close', () => {
      void Promise.all(pending).then(() => {
        if (settled) return;
        settled = true;
        if (failure) reject(failure);
        else resolve({ files, fields });
      });
    });
    req.on('error', () => fail(badRequest(INTERRUPTED)));
    req.on('aborted', () => fail(badRequest('上传中断，请重试')));
    req.pipe(parser);
  });
}
