import { main } from '../../src/cli/main.js';

/** Runs the CLI in-process with captured output. */
export async function cli(argv: string[], stdin = ''): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, { out: (t) => { out += t; }, err: (t) => { err += t; }, stdin: () => stdin });
  return { code, out, err };
}
