// Entry point of the `vnic` command (placeholder until the commands land).
console.log('usage: vnic <command> [options]');
