import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, publicUrlProblem } from '../../server/config';

/** Settings are checked at start-up, with a message that names the setting. */

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuhe-config-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
const load = (env: Record<string, string>) => loadConfig({ FUHE_DATA_DIR: dataDir, ...env });

describe('FUHE_TRUST_PROXY', () => {
  it.each([
    ['', false],
    ['false', false],
    ['true', true],
    ['1', 1],
    ['loopback', 'loopback'],
    ['loopback, 10.0.0.0/8', 'loopback, 10.0.0.0/8'],
  ])('"%s" is taken as %p', (value, expected) => {
    expect(load({ FUHE_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('a value that is no address stops start-up with a message naming the setting', () => {
    expect(() => load({ FUHE_TRUST_PROXY: 'proxy.example!' })).toThrow(/FUHE_TRUST_PROXY/);
  });
});

describe('whole-number settings', () => {
  it.each([
    ['FUHE_SESSION_IDLE_MINUTES', '0'],
    ['FUHE_SESSION_IDLE_MINUTES', '-5'],
    ['FUHE_SESSION_IDLE_MINUTES', '1.5'],
    ['FUHE_SESSION_ABSOLUTE_HOURS', '0'],
    ['FUHE_LOGIN_MAX_FAILURES_ACCOUNT', '0'],
    ['FUHE_SCRYPT_COST', '1000'],
    ['PORT', '70000'],
    ['PORT', 'abc'],
  ])('%s=%s is refused with its name in the message', (name, value) => {
    expect(() => load({ [name]: value })).toThrow(new RegExp(name));
  });

  it('the defaults are what the README says', () => {
    const config = load({});
    expect(config.session).toMatchObject({ idleMinutes: 30, absoluteHours: 12 });
    expect(config.loginThrottle).toEqual({ windowMinutes: 15, maxFailuresPerAccount: 5, maxFailuresPerAddress: 20 });
    expect(config.refusals).toEqual({ windowSeconds: 60, limitPerAddress: 30 });
  });
});

describe('FUHE_PUBLIC_URL, the address announcements print', () => {
  it.each([
    'https://czj.taikang.gov.cn',
    'https://fuhe.example.gov.cn/',
    'http://61.163.1.20:8080',
    'https://[2001:db8::1]',
  ])('%s is an address the public can reach', (url) => expect(publicUrlProblem(url)).toBeNull());
  it.each([
    [undefined, '没有设置对外网址'],
    ['http://localhost:3000', '本机或内网地址'],
    ['http://127.0.0.1', '本机或内网地址'],
    ['http://192.168.1.20', '本机或内网地址'],
    ['http://10.2.3.4:3000', '本机或内网地址'],
    ['http://172.20.0.5', '本机或内网地址'],
    ['http://fuhe-server', '本机或内网地址'],
    ['http://fuhe.local', '本机或内网地址'],
    ['http://[::1]:3000', '本机或内网地址'],
    ['http://[fd00::5]', '本机或内网地址'],
    ['ftp://czj.gov.cn', '须以 https:// 或 http:// 开头'],
    ['czj.gov.cn', '不是有效的网址'],
  ])('%s is refused: %s', (url, why) => expect(publicUrlProblem(url)).toContain(why));
  it('is judged when the configuration loads, and a demo may publish with a local address', () => {
    expect(load({}).publicUrlProblem).toContain('没有设置对外网址');
    expect(load({ FUHE_PUBLIC_URL: 'https://czj.gov.cn' }).publicUrlProblem).toBeNull();
    expect(load({ FUHE_ALLOW_LOCAL_PUBLIC_URL: '1' }).allowLocalPublicUrl).toBe(true);
  });
});
