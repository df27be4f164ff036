const USAGE = `ferry-agent <command> [options]

Commands:
  --help     show this help
`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === "--help" || command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  process.stderr.write(`ferry-agent: unknown command "${command}". Run ferry-agent --help.\n`);
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
