/*
 * The small part of Node's API that bpfsim's Node-only code (CLI, kernel backend, tests, benches,
 * scripts) uses, declared here so that the project needs no type package beyond its five
 * devDependencies. Extend it when new Node APIs are used; the library core uses none of them.
 */

declare var process: {
  argv: string[];
  env: Record<string, string | undefined>;
  platform: string;
  arch: string;
  pid: number;
  execPath: string;
  execArgv: string[];
  exitCode: number | undefined;
  version: string;
  versions: Record<string, string>;
  stdout: { write(s: string | Uint8Array): boolean; isTTY?: boolean; columns?: number };
  stderr: { write(s: string | Uint8Array): boolean; isTTY?: boolean };
  stdin: { isTTY?: boolean; fd: number };
  exit(code?: number): never;
  cwd(): string;
  hrtime: { bigint(): bigint };
  getuid?(): number;
  memoryUsage(): { rss: number; heapUsed: number };
  on(event: string, listener: (...args: any[]) => void): void;
  nextTick(fn: () => void): void;
};

interface Buffer extends Uint8Array {
  toString(encoding?: string): string;
}
declare var Buffer: {
  from(data: string, encoding?: string): Buffer;
  from(data: ArrayBufferLike | ArrayLike<number>): Buffer;
  alloc(size: number): Buffer;
  concat(list: readonly Uint8Array[]): Buffer;
  isBuffer(x: unknown): x is Buffer;
};

declare module 'node:fs' {
  export interface Stats { isFile(): boolean; isDirectory(): boolean; size: number; mtimeMs: number }
  export interface Dirent { name: string; isFile(): boolean; isDirectory(): boolean }
  export function readFileSync(path: string | number): Buffer;
  export function readFileSync(path: string | number, encoding: 'utf8' | 'utf-8'): string;
  export function writeFileSync(path: string | number, data: string | Uint8Array, options?: { mode?: number }): void;
  export function appendFileSync(path: string, data: string | Uint8Array): void;
  export function existsSync(path: string): boolean;
  export function readdirSync(path: string): string[];
  export function readdirSync(path: string, options: { withFileTypes: true }): Dirent[];
  export function statSync(path: string): Stats;
  export function statSync(path: string, options: { bigint: true }): BigIntStats;
  export interface BigIntStats { dev: bigint; ino: bigint }
  export function mkdirSync(path: string, options?: { recursive?: boolean }): void;
  export function rmSync(path: string, options?: { recursive?: boolean; force?: boolean }): void;
  export function mkdtempSync(prefix: string): string;
  export function copyFileSync(src: string, dst: string): void;
  export function chmodSync(path: string, mode: number): void;
  export function unlinkSync(path: string): void;
  export function openSync(path: string, flags: string): number;
  export function closeSync(fd: number): void;
}

declare module 'node:path' {
  export function join(...parts: string[]): string;
  export function resolve(...parts: string[]): string;
  export function dirname(p: string): string;
  export function basename(p: string, ext?: string): string;
  export function extname(p: string): string;
  export function relative(from: string, to: string): string;
  export const sep: string;
}

declare module 'node:url' {
  export function fileURLToPath(url: string | URL): string;
  export function pathToFileURL(path: string): URL;
}

declare module 'node:util' {
  export interface ParseArgsOptionConfig {
    type: 'string' | 'boolean';
    short?: string;
    multiple?: boolean;
    default?: string | boolean | string[] | boolean[];
  }
  export function parseArgs(config: {
    args?: string[];
    options?: Record<string, ParseArgsOptionConfig>;
    strict?: boolean;
    allowPositionals?: boolean;
  }): { values: Record<string, string | boolean | (string | boolean)[] | undefined>; positionals: string[] };
  export function inspect(x: unknown, opts?: object): string;
}

declare module 'node:child_process' {
  export interface SpawnSyncReturns {
    status: number | null;
    signal: string | null;
    stdout: Buffer;
    stderr: Buffer;
    error?: Error;
  }
  export interface ChildProcess {
    pid?: number;
    stdin: { write(data: string | Uint8Array): boolean; end(): void } | null;
    stdout: { on(ev: 'data', fn: (chunk: Buffer) => void): void } | null;
    stderr: { on(ev: 'data', fn: (chunk: Buffer) => void): void } | null;
    stdio: any[];
    on(ev: 'exit' | 'close', fn: (code: number | null, signal: string | null) => void): void;
    on(ev: 'error', fn: (err: Error) => void): void;
    kill(signal?: string): boolean;
  }
  export function spawnSync(cmd: string, args?: readonly string[], options?: {
    input?: string | Uint8Array; cwd?: string; env?: Record<string, string | undefined>;
    timeout?: number; maxBuffer?: number; stdio?: any;
  }): SpawnSyncReturns;
  export function spawn(cmd: string, args?: readonly string[], options?: {
    cwd?: string; env?: Record<string, string | undefined>; stdio?: any;
  }): ChildProcess;
  export function execFileSync(cmd: string, args?: readonly string[], options?: {
    input?: string | Uint8Array; cwd?: string; encoding?: 'utf8'; stdio?: any; timeout?: number;
  }): any;
}

declare module 'node:os' {
  export function cpus(): { model: string; speed: number }[];
  export function tmpdir(): string;
  export function platform(): string;
  export function availableParallelism(): number;
}

declare module 'node:net' {
  export interface Server {
    listen(port: number, host: string, cb?: () => void): this;
    close(cb?: (err?: Error) => void): this;
    address(): { port: number; address: string };
  }
  export interface Socket {
    destroy(): void;
    readonly localPort?: number;
    write(data: Uint8Array): boolean;
    on(ev: 'data', fn: (data: Uint8Array) => void): this;
    on(ev: 'error', fn: (err: Error) => void): this;
  }
  export function createServer(listener?: (socket: Socket) => void): Server;
  export function connect(port: number, host: string, cb?: () => void): Socket;
}

declare module 'node:dgram' {
  export interface Socket {
    bind(port: number, address: string, cb?: () => void): void;
    close(cb?: () => void): void;
    address(): { port: number; address: string };
  }
  export function createSocket(type: 'udp4' | 'udp6'): Socket;
}

declare module 'node:worker_threads' {
  export const isMainThread: boolean;
  export const workerData: any;
  export const parentPort: { postMessage(msg: unknown): void; on(ev: 'message', fn: (msg: any) => void): void } | null;
  export class Worker {
    constructor(filename: string | URL, options?: { workerData?: unknown; execArgv?: string[] });
    on(ev: 'message', fn: (msg: any) => void): this;
    on(ev: 'error', fn: (err: Error) => void): this;
    on(ev: 'exit', fn: (code: number) => void): this;
    postMessage(msg: unknown): void;
    terminate(): Promise<number>;
  }
}

declare module 'node:module' {
  export function createRequire(url: string | URL): (id: string) => any;
}

declare module 'node:crypto' {
  export function createHash(alg: string): { update(data: string | Uint8Array): { digest(enc: 'hex'): string } };
}

declare module 'node:http' {
  export interface IncomingMessage { url?: string; method?: string }
  export interface ServerResponse {
    writeHead(status: number, headers?: Record<string, string | number>): this;
    end(data?: string | Uint8Array): void;
  }
  export interface Server {
    listen(port: number, host: string, cb?: () => void): this;
    address(): { port: number; address: string } | string | null;
    close(cb?: (err?: Error) => void): this;
    on(ev: 'error', fn: (err: Error) => void): this;
  }
  export function createServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Server;
}

interface SymbolConstructor {
  /** The `using` protocol's symbol: Node ≥ 20.4 defines it, src/kernel/fd.ts defines it on older 20.x. */
  readonly dispose: unique symbol;
}
