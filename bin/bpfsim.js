#!/usr/bin/env node
// The bpfsim command: runs the compiled CLI (npm install builds dist/ through the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('bpfsim: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
