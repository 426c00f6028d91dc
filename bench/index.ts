import { main } from '../src/cli/main.js';
import { verifierBench } from './verifier.js';

process.exitCode = await main(['bench', ...process.argv.slice(2)]);
if (!process.argv.includes('--json')) console.log(`\n${verifierBench()}`);
