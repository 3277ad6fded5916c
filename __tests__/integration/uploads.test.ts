import http from 'node:http';
import { ChildProcess } from 'node:child_process';
import { startServerProcess, stopProcess } from '../../scripts/serverProcess';
import { SETUP_CONTEXT, startTestApp, TestApp } from '../helpers/testApp';

/**
 * Malformed multipart bodies against every upload route of the real server, in its own process:
 * each gets a 400 in Chinese (or, when the client goes away, no answer), and the server keeps
 * serving. A body cut off inside a file part used to end the process with an unhandled `error`.
 */

let t: TestApp;
let token: string;
let server: { child: ChildProcess; base: string };
let roundId: number;

beforeAll(async () => {
  t = await startTestApp();
  await t.createUser('lead1', 'lead');
  token = (await t.services.tokens.createForUsername(SETUP_CONTEXT, 'lead1', 't')).token;
  roundId = (
    await t
      .agent()
      .post('/api/rounds')
      .set('Authorization', `Bearer ${token}`)
      .send({ title: '上传测试', fiscalYear: 2023 })
  ).body.id;
  server = await startServerProcess({
    NODE_ENV: 'test',
    FUHE_DATA_DIR: t.dataDir,
    DATABASE_URL: t.config.databaseUrl ?? '',
    FUHE_SESSION_SECRET: t.config.sessionSecret,
  });
});
afterAll(async () => {
  if (server) await stopProcess(server.child);
  await t.close();
});

const routes = () => [
  `/api/rounds/${roundId}/population`,
  `/rounds/${roundId}/population`,
  `/api/rounds/${roundId}/items/2023-P001/evidence`,
  `/rounds/${roundId}/items/2023-P001/evidence`,
  `/api/rounds/${roundId}/reviews/import`,
  `/rounds/${roundId}/results`,
];

const CUT_OFF = '--X\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-1.4\r\n';
const bodies: Array<{ name: string; contentType: string; body: string }> = [
  { name: 'a body that ends inside a file part', contentType: 'multipart/form-data; boundary=X', body: CUT_OFF },
  {
    name: 'a body that ends inside the part headers',
    contentType: 'multipart/form-data; boundary=X',
    body: '--X\r\nContent-Disposition: form-data; na',
  },
  { name: 'no boundary in the content type', contentType: 'multipart/form-data', body: CUT_OFF },
  { name: 'a boundary the body never uses', contentType: 'multipart/form-data; boundary=Y', body: CUT_OFF },
  { name: 'plain garbage', contentType: 'multipart/form-data; boundary=X', body: '\u0000\u0001\u0002garbage' },
];

function send(
  path: string,
  contentType: string,
  body: string | Buffer,
  { abortAfter }: { abortAfter?: number } = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const data = Buffer.from(body);
    const req = http.request(
      `${server.base}${path}`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${token}`,
          'Content-Type': contentType,
          'Content-Length': abortAfter ? data.length * 10 : data.length,
          Accept: 'application/json',
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', () => resolve({ status: 0, text: '' }));
    if (abortAfter) {
      req.write(data.subarray(0, abortAfter));
      setTimeout(() => req.destroy(), 100);
    } else req.end(data);
  });
}

async function healthy(): Promise<void> {
  expect(server.child.exitCode).toBeNull();
  const res = await fetch(`${server.base}/healthz`);
  expect(res.status).toBe(200);
}

describe.each(bodies)('$name', ({ contentType, body }) => {
  it('is a 400 in Chinese on every upload route, and the server keeps serving', async () => {
    for (const path of routes()) {
      const res = await send(path, contentType, body);
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(JSON.parse(res.text).error.message).toMatch(/[\u4e00-\u9fff]/);
      await healthy();
    }
  });
});

it('a well-formed body whose only part has no name is a missing file, not a crash', async () => {
  for (const path of routes()) {
    const res = await send(
      path,
      'multipart/form-data; boundary=X',
      '--X\r\nContent-Type: text/plain\r\n\r\nabc\r\n--X--\r\n',
    );
    expect(res.status).toBeGreaterThanOrEqual(300);
    expect(res.status).toBeLessThan(500);
    await healthy();
  }
});

it('a client that goes away in the middle of a file part stops nothing', async () => {
  for (const path of routes()) {
    await send(path, 'multipart/form-data; boundary=X', CUT_OFF + 'x'.repeat(1000), { abortAfter: 200 });
    await healthy();
  }
});
