/** `session revoke`: end every sign-in session of a user. */
import { CLI_ACTOR } from '../../domain/actor.js';
import type { CliCommands } from '../context.js';
import { printResult } from '../io.js';
import { withOrg, type OrgOptions } from '../options.js';

export const sessionCommands: CliCommands = (program, { io, inOrg }) => {
  const session = program.command('session').description('sign-in sessions');
  withOrg(session.command('revoke').description('end every session of a user (they must sign in again)'))
    .argument('<user>', 'user id or userName')
    .action(async (user: string, opts: OrgOptions) => {
      const result = await inOrg(opts.org, (s, orgId) => s.sessions.revokeUserNamed(orgId, user, CLI_ACTOR));
      printResult(io, opts.json, result, () => `ended ${result.ended} session(s)`);
    });
};
