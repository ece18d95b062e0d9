// Every `vnic` subcommand, registered in the order `vnic --help` lists them.
import type { Command } from 'commander';
import { registerRun } from './run.ts';
import { registerReplay } from './replay.ts';
import { registerListings } from './listings.ts';

export function registerCommands(program: Command): void {
  registerRun(program);
  registerReplay(program);
  registerListings(program);
}
