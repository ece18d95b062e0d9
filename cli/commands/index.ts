// Every `vnic` subcommand, registered in the order `vnic --help` lists them.
import type { Command } from 'commander';

export function registerCommands(_program: Command): void {
  // subcommands land here as their layers do
}
