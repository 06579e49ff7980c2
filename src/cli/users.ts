import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../auth/roles.ts';
import { addUser, hashPassword, newToken, type User } from '../auth/users.ts';
import { loadConfig } from '../config/load.ts';
import { cliActor, withState } from './audit.ts';
import { KzmError } from '../util/errors.ts';
import { isLang, LANGS } from '../i18n/lang.js';

export const USERS_HELP = `Usage: kzmeter users <add|token|password|set-lang|remove|list> [name] [--role R] [--taxpayer BIN] [--config FILE]
  People of the HTTP API and dashboard (<dataDir>/auth/users.json, hashes only); changes apply at once.
  add <name> --role viewer|operator|accountant|admin [--taxpayer BIN]   prints the user's API token once
  token <name>      a further API token (printed once)
  password <name>   set the dashboard password, read from stdin (one line)
  remove <name>     the user can no longer log in; their tokens stop working
  set-lang <name> <ru|kk|en|none>   the user's language for the dashboard and exports (none: Accept-Language)
  list              names, roles, taxpayers, languages (no hashes)
  --help          this help
  --config FILE     settings file (else KZM_* variables; users live in <dataDir>/auth/users.json)
Example: kzmeter users add aigerim --role accountant --taxpayer 940140000385`;

class UsersCliError extends KzmError {
  constructor(message: string) {
    super(message, { code: 'usage' });
  }
}

async function readStdinLine(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split('\n')[0]!.trim();
}

export async function usersMain(argv: string[], print: (s: string) => void = (s) => console.log(s)): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      taxpayer: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  const [action, name, arg] = positionals;
  if (v.help || !action) {
    print(USERS_HELP);
    return v.help ? 0 : 2;
  }
  const config = loadConfig(v.config ? { file: v.config } : {});
  return withState(config, async (state) => {
    const store = state.users;
    const users = [...(await store.all())];
    if (action === 'list') {
      print(
        users
          .map(
            (u) =>
              `${u.name}\t${u.role}${u.taxpayer ? `\ttaxpayer ${u.taxpayer}` : ''}${u.lang ? `\tlang ${u.lang}` : ''}`,
          )
          .join('\n') || '(no users)',
      );
      return 0;
    }
    if (!name) throw new UsersCliError(`"${action}" needs a user name`);
    if (action === 'add') {
      if (!ROLES.includes(v.role as Role)) throw new UsersCliError(`--role must be one of ${ROLES.join(', ')}`);
      const r = await addUser(store, { name, role: v.role as Role, ...(v.taxpayer && { taxpayer: v.taxpayer }) });
      await state.audit.append({
        who: cliActor(),
        action: 'user-add',
        what: { name, role: r.user.role, taxpayer: r.user.taxpayer ?? null },
      });
      print(`user "${name}" (${r.user.role}) added. API token, shown only now:\n  ${r.token}`);
      return 0;
    }
    const i = users.findIndex((u) => u.name === name);
    if (i < 0) throw new UsersCliError(`no user "${name}"`);
    if (action === 'remove') {
      await store.remove(name);
      await state.audit.append({ who: cliActor(), action: 'user-remove', what: { name } });
      print(`user "${name}" removed`);
    } else if (action === 'token') {
      const t = await newToken();
      await store.replace({ ...users[i]!, tokens: [...users[i]!.tokens, t.record] });
      await state.audit.append({ who: cliActor(), action: 'user-token', what: { name, tokenId: t.record.id } });
      print(`new API token for "${name}", shown only now:\n  ${t.token}`);
    } else if (action === 'password') {
      const pw = await readStdinLine();
      if (pw.length < 12) throw new UsersCliError('a password needs at least 12 characters');
      await store.replace({ ...users[i]!, passwordHash: await hashPassword(pw) });
      await state.audit.append({ who: cliActor(), action: 'user-password', what: { name } });
      print(`password of "${name}" set`);
    } else if (action === 'set-lang') {
      if (arg !== 'none' && !isLang(arg)) throw new UsersCliError(`set-lang: give ${LANGS.join(', ')} or none`);
      const lang = isLang(arg) ? arg : undefined;
      const { lang: _old, ...rest } = users[i]!;
      const changed: User = { ...rest, ...(lang && { lang }) };
      await store.replace(changed);
      await state.audit.append({ who: cliActor(), action: 'user-lang', what: { name, lang: lang ?? null } });
      print(`language of "${name}": ${lang ?? 'none (Accept-Language)'}`);
    } else throw new UsersCliError(`unknown action "${action}"\n\n${USERS_HELP}`);
    return 0;
  });
}
