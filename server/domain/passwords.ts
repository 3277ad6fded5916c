/**
 * The password rule (NIST SP 800-63B, OWASP ASVS 2.1): at least 8 characters, long passphrases
 * welcome (up to 256), no composition rules. Length counts Unicode code points so that a Chinese
 * passphrase is measured as a person would count it.
 */

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export function passwordProblem(password: string): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `密码至少需要${PASSWORD_MIN}个字符`;
  if (length > PASSWORD_MAX) return `密码不能超过${PASSWORD_MAX}个字符`;
  return null;
}
