#!/usr/bin/env node
/** Entry point of the `baton` command; see run.ts for the commands. */
import { runCli } from './run.js';

const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  isTTY: process.stderr.isTTY === true,
});
process.exitCode = code;
