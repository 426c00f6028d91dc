import { main } from '../src/cli/main.js';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
