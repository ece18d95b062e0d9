// Every `vnic` subcommand, registered in the order `vnic --help` lists them.
import type { Command } from 'commander';
import { registerRun } from './run.ts';
import { registerReplay } from './replay.ts';
import { registerListings } from './listings.ts';
import { registerTrace } from './trace.ts';
import { registerMatrix } from './matrix-command.ts';
import { registerReport } from './report.ts';
import { registerMerge } from './merge.ts';
import { registerKernelCheck } from './kernel-check.ts';
import { registerTestDriver } from './test-driver.ts';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerReplay(program);
  registerListings(program);
  registerTrace(program);
  registerMatrix(program);
  registerReport(program);
  registerMerge(program);
  registerKernelCheck(program);
  registerTestDriver(program);
}
