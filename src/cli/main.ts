/** Entry point of the `identity-bridge` binary. */
import v8 from 'node:v8';
import { runCli } from './program.js';

// Commands are short admin jobs, one of them long (a directory sync over a large directory):
// V8 otherwise lets the heap grow to several times what is live before collecting, and a
// sync of 100,000 users holds about 50 MB live. Memory over speed suits these jobs.
v8.setFlagsFromString('--optimize-for-size');

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  interactive: process.stderr.isTTY === true,
});
process.exitCode = code;
