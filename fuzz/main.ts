// Entry point of `npm run fuzz` (tsx fuzz/main.ts): see fuzz/cli.ts for the flags.
import { fuzzMain } from './cli.ts';

process.exitCode = await fuzzMain(process.argv.slice(2));
