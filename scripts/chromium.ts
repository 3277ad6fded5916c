/**
 * Debian's Chromium, as the screenshots and the browser tests launch it: no downloaded browser,
 * and no background networking (this machine's closed network refuses it, noisily).
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
