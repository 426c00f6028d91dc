#!/usr/bin/env node
// bpf_conformance plugin entry: `bpfsim-plugin MEMHEX [OPTIONS]` is `bpfsim plugin MEMHEX [OPTIONS]`.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('bpfsim-plugin: dist/ is missing; run `npm run build` first\n');
  process.exit(2);
}
const { main: run } = await import(main.href);
process.exitCode = await run(['plugin', ...process.argv.slice(2)]);
