import { main } from './main.js';

/** Entry point for `npm start` and `tsx src/cli/bin.ts …`: runs the CLI on the process arguments. */
process.exitCode = await main(process.argv.slice(2));
