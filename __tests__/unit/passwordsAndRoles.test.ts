import { passwordProblem } from '../../server/domain/passwords';
import { can, isRole, requiresOrganisation, ROLES } from '../../server/domain/roles';
import { generatePassword, hashPassword, needsRehash, verifyPassword } from '../../server/users/passwordHash';

describe('the password rule', () => {
  it('asks for 8 characters and nothing else', () => {
    expect(passwordProblem('1234567')).toBe('密码至少需要8个字符');
    expect(passwordProblem('12345678')).toBeNull();
    expect(passwordProblem('alllowercase')).toBeNull();
    expect(passwordProblem('x'.repeat(64))).toBeNull();
    expect(passwordProblem('x'.repeat(257))).toBe('密码不能超过256个字符');
  });

  it('counts Chinese characters as characters, not bytes', () => {
    expect(passwordProblem('八个汉字的密码啊')).toBeNull();
    expect(passwordProblem('七个汉字的密码')).toBe('密码至少需要8个字符');
  });
});

describe('password hashing with scrypt', () => {
  it('verifies the right password, refuses a wrong one, salts every hash', async () => {
    const a = await hashPassword('correct horse battery staple', 2 ** 12);
    const b = await hashPassword('correct horse battery staple', 2 ** 12);
    expect(a).toMatch(/^scrypt\$4096\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapler', a)).toBe(false);
    expect(await verifyPassword('anything', 'md5$abc')).toBe(false);
  });

  it('treats composed and decomposed Unicode the same (NFC)', async () => {
    const hash = await hashPassword('caf\u00e9 passphrase', 2 ** 12);
    expect(await verifyPassword('cafe\u0301 passphrase', hash)).toBe(true);
  });

  it("knows when a hash is weaker than today's cost", () => {
    expect(needsRehash('scrypt$4096$8$1$a$b', 2 ** 15)).toBe(true);
    expect(needsRehash('scrypt$32768$8$1$a$b', 2 ** 15)).toBe(false);
  });

  it('generates 16-character passwords without look-alike characters', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i += 1) {
      const password = generatePassword();
      expect(password).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{16}$/);
      seen.add(password);
    }
    expect(seen.size).toBe(50);
  });
});

describe('roles', () => {
  it('has the five roles of domain.md', () => {
    expect(ROLES).toEqual(['admin', 'lead', 'reviewer', 'evaluator', 'official', 'unit']);
    expect(isRole('lead')).toBe(true);
    expect(isRole('boss')).toBe(false);
  });

  it('lets only admin and lead create rounds, and only admin manage users and read the audit log', () => {
    expect(ROLES.filter((r) => can(r, 'rounds.create'))).toEqual(['admin', 'lead']);
    expect(ROLES.filter((r) => can(r, 'users.manage'))).toEqual(['admin']);
    expect(ROLES.filter((r) => can(r, 'audit.read'))).toEqual(['admin']);
    // Everyone but a unit's contact reads rounds; a unit's contact reads only its own items.
    expect(ROLES.filter((r) => !can(r, 'rounds.read'))).toEqual(['unit']);
    expect(ROLES.filter((r) => can(r, 'units.own'))).toEqual(['unit']);
  });

  it('asks evaluators for their organisation', () => {
    expect(ROLES.filter(requiresOrganisation)).toEqual(['evaluator']);
  });
});
