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

/** A file name as something safe to show and store: no path, no control characters. */
function cleanName(name: string): string {
  const base = path.basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return base.slice(0, 200) || '未命名文件';
}

/**
 * Reads a multipart form into memory, accepting only the named file fields, each up to
 * `maxFileBytes`. An empty file input (nothing chosen) counts as absent. Too large is 413.
 */
export function readMultipart(req: Request, options: { fileFields: string[]; maxFileBytes: number }): Promise<Multipart> {
  if (!isMultipart(req)) return Promise.reject(badRequest('请以 multipart/form-data 方式上传文件（字段名 file）'));
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        limits: { fileSize: options.maxFileBytes, files: options.fileFields.length, fields: 20, fieldSize: 64 * 1024, parts: 30 },
      });
    } catch {
      return reject(badRequest('上传的表单格式不正确'));
    }
    const files: Record<string, ReceivedFile> = {};
    const fields: Record<string, string> = {};
    let failure: HttpError | undefined;
    const pending: Array<Promise<void>> = [];

    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      if (!options.fileFields.includes(field)) {
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      pending.push(
        new Promise<void>((done) => {
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('limit', () => {
            failure = new HttpError(413, 'too_large', `文件"${cleanName(info.filename ?? '')}"超过 ${Math.round(options.maxFileBytes / 1024 / 1024)} MB 上限`);
          });
          stream.on('close', () => {
            const data = Buffer.concat(chunks);
            if (info.filename || data.length > 0) files[field] = { name: cleanName(info.filename ?? ''), data };
            done();
          });
        }),
      );
    });
    parser.on('filesLimit', () => {
      failure ??= badRequest('上传的文件太多');
    });
    parser.on('error', () => reject(badRequest('上传中断或表单格式不正确，请重试')));
    parser.on('close', () => {
      Promise.all(pending).then(() => (failure ? reject(failure) : resolve({ files, fields })), reject);
    });
    req.on('aborted', () => reject(badRequest('上传中断，请重试')));
    req.pipe(parser);
  });
}
