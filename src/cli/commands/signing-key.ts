/** `signing-key rotate`: a new access-token signing key (the previous one keeps verifying). */
import type { CliCommands } from '../context.js';
import { printResult } from '../io.js';
import { jsonOption, type JsonOption } from '../options.js';

export const signingKeyCommands: CliCommands = (program, { io, withServices }) => {
  program
    .command('signing-key')
    .description('access-token signing keys')
    .command('rotate')
    .description('sign new access tokens with a new key; the previous key still verifies, older ones retire')
    .addOption(jsonOption())
    .action(async (opts: JsonOption) => {
      const kid = await withServices((s) => s.accessTokens.rotate());
      printResult(io, opts.json, { kid }, () => `new signing key ${kid}`);
    });
};
