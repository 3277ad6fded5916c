import path from 'node:path';
import { Response } from 'express';
import { withoutBidiControls } from '../domain/text';

/** RFC 5987's encoding of a UTF-8 value (encodeURIComponent leaves these four unescaped). */
const rfc5987 = (text: string) =>
  encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Offers a download under `name`, as written: without bidirectional controls (which can show
 * "report‮fdp.exe" as "reportexe.pdf") or control characters, and with `/` and `\` kept as a
 * full-width slash rather than cutting the name there. The header carries the name as RFC 5987
 * `filename*` (UTF-8) with an ASCII fallback, and the type follows the extension.
 */
export function sendAs(res: Response, name: string): void {
  const clean =
    withoutBidiControls(name)
      .replace(/[\u0000-\u001f\u007f]/g, '')
      .replace(/[/\\]/g, '／')
      .trim() || 'download';
  const fallback = clean.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  res.setHeader('Content-Disposition', `attachment; filename="${fallback}"; filename*=UTF-8''${rfc5987(clean)}`);
  const extension = path.extname(clean);
  if (extension) res.type(extension);
}
