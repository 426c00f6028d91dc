/**
 * Headless Chromium driven over the DevTools protocol through `--remote-debugging-pipe` (the
 * browser reads NUL-terminated JSON commands on fd 3 and writes responses and events on fd 4), so
 * browser tests need no package beyond Node and a Chromium binary.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Chromium binary to use, or why there is none. */
export function chromiumPath(): { path?: string; reason?: string } {
  const path = process.env['BPFSIM_CHROMIUM'] ?? '/usr/bin/chromium';
  return existsSync(path) ? { path } : { reason: `no Chromium at ${path} (apt-get install chromium, or set BPFSIM_CHROMIUM)` };
}

const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--remote-debugging-pipe',
];

interface Pending { resolve(v: Record<string, unknown>): void; reject(e: Error): void }

/** One headless Chromium with a fresh profile. */
export class Chromium {
  private readonly child: ChildProcess;
  private readonly profile: string;
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new TextDecoder();
  private buffer = '';
  private nextId = 1;
  private exited: Error | undefined;

  constructor(path: string) {
    this.profile = mkdtempSync(join(tmpdir(), 'bpfsim-chromium-'));
    this.child = spawn(path, [...FLAGS, `--user-data-dir=${this.profile}`], { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] });
    this.child.stdio[4].on('data', (chunk: Uint8Array) => this.receive(chunk));
    this.child.on('exit', (code, signal) => {
      this.exited = new Error(`chromium exited (${code ?? signal})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Sends a protocol command (to a page when `sessionId` is given) and resolves with its result. */
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdio[3].write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  }

  /**
   * Opens `url` in a new page and returns the value `expression` (possibly a promise) evaluates to
   * there, once the page's own context exists (evaluating during the navigation is retried).
   */
  async evaluate(url: string, expression: string): Promise<unknown> {
    const { targetId } = await this.send('Target.createTarget', { url });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const ready = `location.href === ${JSON.stringify(url)} && document.readyState === 'complete'`;
    for (let i = 0; ; i++) {
      const r = await this.send('Runtime.evaluate', { expression: ready, returnByValue: true }, sessionId as string).catch(() => undefined);
      if ((r?.['result'] as { value?: unknown } | undefined)?.value === true) break;
      if (i === 200) throw new Error(`${url} did not load`);
      await new Promise((ok) => setTimeout(ok, 25));
    }
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId as string);
    const ex = r['exceptionDetails'] as { text?: string; exception?: { description?: string } } | undefined;
    if (ex) throw new Error(`page exception: ${ex.exception?.description ?? ex.text}`);
    return (r['result'] as { value?: unknown }).value;
  }

  /** Closes the browser and removes its profile. */
  async close(): Promise<void> {
    if (!this.exited) {
      const gone = new Promise<void>((resolve) => this.child.on('exit', () => resolve()));
      await Promise.race([this.send('Browser.close').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (!this.exited) this.child.kill('SIGKILL');
    }
    rmSync(this.profile, { recursive: true, force: true });
  }

  private receive(chunk: Uint8Array): void {
    this.buffer += this.decoder.decode(chunk, { stream: true });
    for (let end = this.buffer.indexOf('\0'); end >= 0; end = this.buffer.indexOf('\0')) {
      const msg = JSON.parse(this.buffer.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
      this.buffer = this.buffer.slice(end + 1);
      const p = msg.id !== undefined ? this.pending.get(msg.id) : undefined;
      if (!p) continue;
      this.pending.delete(msg.id!);
      if (msg.error) p.reject(new Error(msg.error.message)); else p.resolve(msg.result ?? {});
    }
  }
}
