// npm run token -- --project <id> [--role "CDM ReadOnlyAccess"] [--subject alice] [--expires 1h]
// Prints only the token, so `TOKEN=$(npm run -s token -- --project p1)` works.
import { parseArgs } from 'node:util';
import { embeddedEnv } from '../runtime';
import { loadOrCreateKeys } from './local-keys';
import { issueToken } from './tokens';

const { values } = parseArgs({
  options: {
    project: { type: 'string', multiple: true },
    role: { type: 'string', multiple: true },
    permission: { type: 'string', multiple: true },
    subject: { type: 'string' },
    expires: { type: 'string' },
  },
});
if (!values.project?.length) {
  process.stderr.write('usage: npm run token -- --project <project_id> [--role NAME] [--subject NAME] [--expires 12h]\n');
  process.exit(2);
}
const keys = await loadOrCreateKeys(embeddedEnv().dataDir);
process.stdout.write(
  `${await issueToken(keys, {
    projects: values.project,
    roles: values.role,
    permissions: values.permission,
    subject: values.subject,
    expiresIn: values.expires,
  })}\n`,
);
