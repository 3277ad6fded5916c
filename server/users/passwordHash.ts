import crypto from 'node:crypto';
import { promisify } from 'node:util';

/**
 * scrypt from node:crypto (memory-hard): N = 2^15, r = 8, p = 1 uses 32 MiB per hash. Stored as
 * `scrypt$N$r$p$salt$hash` so that the cost can rise later and old hashes still verify.
 */

const scrypt = promisify(crypto.scrypt) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: crypto.ScryptOptions,
) => Promise<Buffer>;

const KEY_LENGTH = 32;

function maxmemFor(N: number, r: number, p: number): number {
  return 128 * N * r + 128 * r * p + 16 * 1024 * 1024;
}

export async function hashPassword(password: string, cost = 2 ** 15): Promise<string> {
  const salt = crypto.randomBytes(16);
  const r = 8;
  const p = 1;
  const hash = await scrypt(password.normalize('NFC'), salt, KEY_LENGTH, {
    N: cost,
    r,
    p,
    maxmem: maxmemFor(cost, r, p),
  });
  return ['scrypt', cost, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4], 'base64');
  const expected = Buffer.from(parts[5], 'base64');
  const actual = await scrypt(password.normalize('NFC'), salt, expected.length, {
    N,
    r,
    p,
    maxmem: maxmemFor(N, r, p),
  });
  return crypto.timingSafeEqual(actual, expected);
}

/** Whether a stored hash was made with weaker parameters than today's and should be redone at login. */
export function needsRehash(stored: string, cost: number): boolean {
  const parts = stored.split('$');
  return parts[0] !== 'scrypt' || Number(parts[1]) < cost;
}

/** A generated password: 16 characters from an alphabet without look-alikes (about 90 bits). */
export function generatePassword(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789';
  let out = '';
  for (let i = 0; i < 16; i += 1) out += alphabet[crypto.randomInt(alphabet.length)];
  return out;
}
