/**
 * The fuhe command line: `npm run fuhe -- <command>`. Uses the same settings as the server
 * (FUHE_DATA_DIR, DATABASE_URL), so it works against a running server's database.
 */
import { AuditContext } from '../server/audit/repository';
import { loadConfig } from '../server/config';
import { backup, restore } from '../server/data/backup';
import { createDatabase, Database, migrateToLatest, migrationStatus } from '../server/data/database';
import { isRole, ROLES } from '../server/domain/roles';
import { HttpError } from '../server/http/errors';
import { createServices } from '../server/services';
import { parseUserInput } from '../server/users/validation';

const USAGE = `用法 / usage: npm run fuhe -- <command>

  user add <username> --role <${ROLES.join('|')}> [--name <显示名>] [--org <单位>]
           [--unit <预算单位名称>]... [--department <主管部门名称>]... [--allow-unknown-unit]
      password from FUHE_PASSWORD or standard input; otherwise generated and printed once;
      --unit / --department (repeatable) say which units a unit contact (--role unit) covers;
      a name in no imported population is refused unless --allow-unknown-unit
  user disable <username>
  user enable <username>
  user reset-password <username>     prints a new one-time password
  user list
  token create <username> [--name <令牌名称>]   prints the token as the last line
  token revoke <token-id|token>
  token list <username>
  migrate                            applies pending migrations
  migrate status
  backup <file>                      SQLite: a consistent copy, taken while the server runs;
                                     PostgreSQL: pg_dump (custom format)
  restore <file>                     stop the server first; SQLite keeps the replaced file beside it
`;

const cliContext: AuditContext = { actor: null, ip: 'cli', userAgent: 'fuhe-cli', requestId: null };

/** Flags that stand alone, without a value. */
const SWITCHES = new Set(['allow-unknown-unit']);

/** `--key value` or `--key=value`; a repeated key keeps every value in `lists` (--unit A --unit B). */
function parseArgs(argv: string[]): {
  positional: string[];
  options: Record<string, string>;
  lists: Record<string, string[]>;
} {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split('=', 2);
      const value = SWITCHES.has(key) ? 'yes' : (inline ?? argv[++i] ?? '');
      options[key] = value;
      lists[key] = [...(lists[key] ?? []), value];
    } else positional.push(arg);
  }
  return { positional, options, lists };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

class UsageError extends Error {}

async function run(db: Database, argv: string[]): Promise<void> {
  const config = loadConfig();
  const services = createServices({ db, config, now: () => new Date() });
  const { positional, options, lists } = parseArgs(argv);
  const [group, action, subject] = positional;
  const command = [group, action].filter(Boolean).join(' ');

  if (group === 'migrate') {
    if (action === 'status') {
      const status = await migrationStatus(db);
      console.log(`applied: ${status.applied.length}, pending: ${status.pending.length}`);
      for (const name of status.pending) console.log(`  pending ${name}`);
      for (const name of status.unknown) console.log(`  unknown (newer code) ${name}`);
      return;
    }
    const applied = await migrateToLatest(db);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    return;
  }
  await migrateToLatest(db);

  const requireUser = async (username: string | undefined) => {
    if (!username) throw new UsageError('缺少用户名');
    const user = await services.users.findByUsername(username);
    if (!user) throw new HttpError(404, 'not_found', `用户"${username}"不存在`);
    return user;
  };

  switch (command) {
    case 'user add': {
      if (!options.role || !isRole(options.role)) throw new UsageError(`--role 须为 ${ROLES.join('、')} 之一`);
      const password = process.env.FUHE_PASSWORD || (await readStdin()) || '';
      const parsed = parseUserInput({
        username: subject ?? '',
        role: options.role,
        displayName: options.name ?? '',
        organisation: options.org ?? '',
        password,
        units: lists.unit ?? [],
        departments: lists.department ?? [],
      });
      if (!parsed.value) throw new HttpError(422, 'invalid', parsed.errors.map((e) => e.message).join('；'));
      const unknown = parsed.value.coverage ? await services.units.unknownNames(parsed.value.coverage) : [];
      for (const name of unknown)
        console.error(
          `${name.kind === 'unit' ? '预算单位' : '主管部门'}"${name.name}"不在任何已导入的自评名单中` +
            (name.suggestions.length ? `；您是否要找：${name.suggestions.join('、')}` : ''),
        );
      if (unknown.length && options['allow-unknown-unit'] !== 'yes')
        throw new HttpError(422, 'invalid', '名称无误（名单稍后导入）时，请加 --allow-unknown-unit 再执行');
      const { user, generatedPassword } = await services.users.create(cliContext, parsed.value);
      console.log(`created user ${user.username} (${user.role}) id ${user.id}`);
      if (generatedPassword) {
        console.log('generated password (shown once; must be changed at first login):');
        console.log(generatedPassword);
      }
      return;
    }
    case 'user disable':
    case 'user enable': {
      const user = await requireUser(subject);
      await services.users.setDisabled(cliContext, user.id, action === 'disable');
      console.log(`${action}d user ${user.username}`);
      return;
    }
    case 'user reset-password': {
      const user = await requireUser(subject);
      const password = await services.users.resetPassword(cliContext, user.id);
      console.log(`new one-time password for ${user.username} (must be changed at next login):`);
      console.log(password);
      return;
    }
    case 'user list': {
      for (const user of await services.users.list()) {
        console.log(
          [
            user.username,
            user.role,
            user.displayName,
            user.organisation ?? '',
            user.disabledAt ? 'disabled' : 'active',
          ].join('\t'),
        );
      }
      return;
    }
    case 'token create': {
      if (!subject) throw new UsageError('缺少用户名');
      const { token, record } = await services.tokens.createForUsername(
        cliContext,
        subject,
        options.name ?? '命令行创建',
      );
      console.log(`created token id ${record.id} "${record.name}" for ${subject}; it is shown once:`);
      console.log(token);
      return;
    }
    case 'token revoke': {
      if (!subject) throw new UsageError('缺少令牌编号或令牌');
      const token = await services.tokens.revokeByOperator(cliContext, subject);
      console.log(`revoked token id ${token.id} "${token.name}"`);
      return;
    }
    case 'token list': {
      const user = await requireUser(subject);
      for (const token of await services.tokens.list(user.id)) {
        console.log(
          [
            token.id,
            token.name,
            `${token.prefix}…`,
            token.createdAt.toISOString(),
            token.revokedAt ? 'revoked' : 'active',
          ].join('\t'),
        );
      }
      return;
    }
    default:
      throw new UsageError(command ? `未知命令：${command}` : '');
  }
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv[0] === 'help' || argv.includes('--help')) {
    process.stdout.write(USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  if (argv[0] === 'backup' || argv[0] === 'restore') {
    if (!argv[1]) {
      process.stderr.write(`错误：缺少文件名\n\n${USAGE}`);
      return 2;
    }
    try {
      console.log(argv[0] === 'backup' ? await backup(loadConfig(), argv[1]) : await restore(loadConfig(), argv[1]));
      return 0;
    } catch (err) {
      process.stderr.write(`错误：${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
  }
  const db = createDatabase(loadConfig());
  try {
    await run(db, argv);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`错误：${err.message}\n\n`);
      process.stderr.write(USAGE);
      return 2;
    }
    if (err instanceof HttpError) {
      process.stderr.write(`错误：${err.message}\n`);
      return 1;
    }
    throw err;
  } finally {
    await db.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`fuhe: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
