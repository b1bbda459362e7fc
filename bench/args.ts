/**
 * A bench script's command line, checked before anything runs: `--help` (or `-h`) prints its usage and
 * exits; an option it does not take stops it with exit 2 (a misspelt `--dcos 100` ran the whole default
 * benchmark before). `options` take a value, `flags` do not.
 */
export function checkBenchArgs(argv: readonly string[], usage: string, options: readonly string[], flags: readonly string[] = []): void {
  const args = argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(usage);
    process.exit(0);
  }
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const name = a.startsWith('--') ? a.slice(2) : null;
    if (name !== null && options.includes(name) && i + 1 < args.length) i++;
    else if (name === null || !flags.includes(name)) {
      const known = [...options.map((o) => `--${o} VALUE`), ...flags.map((f) => `--${f}`)].join(', ');
      process.stderr.write(`${a}: ${name !== null && options.includes(name) ? 'needs a value' : 'not an option of this bench'} (it takes ${known}; --help for more)\n`);
      process.exit(2);
    }
  }
}
