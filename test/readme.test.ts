import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

test('the README quick start runs as written', async () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  expect(block).toBeDefined();
  const dir = join(root, 'node_modules/.cache/bpfsim-readme');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'quickstart.ts');
  const logged: unknown[][] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => { logged.push(args); };
  try {
    writeFileSync(file, block!);
    await import(/* @vite-ignore */ file);
  } finally {
    console.log = log;
  }
  expect(logged[1]).toEqual([13n, 3]);
  expect(logged[2]).toEqual([1, 7n]);
  expect(String(logged[0]![0])).toMatch(/^0: \(61\) r0 = \*\(u32 \*\)\(r1 \+4\)/);
});
