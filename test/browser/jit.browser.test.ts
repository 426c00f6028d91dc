import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Chromium, chromiumPath } from '../support/chromium.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const { path: chromium, reason } = chromiumPath();
if (!chromium) console.log(`skipping the browser test: ${reason}`);

/** The page: imports the built library as native ES modules, runs a program on the JIT and the interpreter. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>bpfsim JIT</title>
<script>addEventListener('error', (e) => { window.__result = { error: String(e.message) }; });</script>
<script type="module">
try {
  const { VmFault, assemble, createMachine } = await import('/lib/index.js');
  const m = createMachine({ cpus: 1 });
  const src = \`
    r6 = r1
    r7 = r1
    r7 += r2
    r0 = 0
  loop:
    r3 = r6
    r3 += 2
    if r3 > r7 goto done
    r4 = *(u16 *)(r6 +0)
    r1 = r4
    call mix
    r0 += r1
    r6 = r3
    goto loop
  done:
    call 7
    r0 = 0
    r0 += r1
    exit
  mix:
    r1 *= 0x9e3779b1
    r1 ^= 0x5555
    exit\`;
  const p = m.loadProgram({ insns: assemble(src).insns });
  const mem = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
  const jit = p.runRaw({ mem, engine: 'jit' });
  const fast = p.runRaw({ mem, engine: 'jit', checked: false, repeat: 1000 });
  const interp = p.runRaw({ mem, engine: 'interp' });
  let fault = '';
  try { m.loadProgram({ insns: assemble('r0 = *(u64 *)(r1 +60)\\nexit').insns }).runRaw({ mem, engine: 'jit' }); }
  catch (e) { fault = e instanceof VmFault ? e.kind + ' at ' + e.pc : String(e); }
  const x = p.executable('jit', true);
  window.__result = {
    jit: jit.r0.toString(16), fast: fast.r0.toString(16), interp: interp.r0.toString(16),
    jitInsns: jit.insns, interpInsns: interp.insns, engine: x.engine, structured: x.stats.structured, fault,
  };
} catch (e) {
  window.__result = { error: String(e && e.stack || e) };
}
</script>`;

/** Compiles the library's browser entry (src/index.ts and what it imports, nothing Node-only) into `out`. */
function build(out: string): string {
  const config = join(out, 'tsconfig.json');
  writeFileSync(config, JSON.stringify({
    extends: join(root, 'tsconfig.build.json'),
    compilerOptions: { outDir: join(out, 'lib'), rootDir: join(root, 'src'), declaration: false, declarationMap: false, sourceMap: false },
    files: [join(root, 'src/index.ts')],
    include: [],
  }));
  const r = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], { timeout: 120_000 });
  return r.status === 0 ? '' : r.stdout.toString() + r.stderr.toString();
}

function serve(dir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(PAGE);
      return;
    }
    const file = join(dir, path);
    if (!path.startsWith('/lib/') || path.includes('..') || !existsSync(file)) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/javascript' });
    res.end(readFileSync(file));
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    ok({ server, url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/` });
  }));
}

describe.skipIf(!chromium)('the JIT in a browser (headless Chromium)', () => {
  let out = '';
  let built = '';
  let browser: Chromium | undefined;
  let server: Server | undefined;
  let url = '';

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'bpfsim-browser-'));
    built = build(out);
    ({ server, url } = await serve(out));
    browser = new Chromium(chromium!);
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (server ? server.close(() => r(undefined)) : r(undefined)));
    if (out) rmSync(out, { recursive: true, force: true });
  });

  test('the library builds for the browser (no Node-only import in its closure)', () => {
    expect(built).toBe('');
  });

  test('a page imports the library as ES modules, compiles a program with the JIT and runs it', async () => {
    const waitForResult = `new Promise((ok) => {
      const end = Date.now() + 60000;
      const t = () => window.__result ? ok(window.__result) : Date.now() > end ? ok({ error: 'no result after 60 s' }) : setTimeout(t, 20);
      t();
    })`;
    const r = await browser!.evaluate(url, waitForResult) as Record<string, unknown>;
    expect(r['error']).toBeUndefined();
    expect(r['engine']).toBe('jit');
    expect(r['jit']).toBe(r['interp']);
    expect(r['fast']).toBe(r['interp']);
    expect(r['jitInsns']).toBe(r['interpInsns']);
    expect(r['structured']).toBe(2);
    expect(r['fault']).toBe('out-of-bounds at 0');
  });
});
