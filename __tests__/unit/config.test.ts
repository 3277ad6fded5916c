import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../server/config';

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
