// Entry point of `npm run fuzz` (tsx cli/fuzz-main.ts): see cli/fuzz.ts for the flags.
import { fuzzMain } from './fuzz.ts';

process.exitCode = await fuzzMain(process.argv.slice(2));
