import { Arena } from '../../../src/arena/index.js';
import {
  MapRegistry, type BpfMap, type FdObject, type MapEnv, type MapProgram, type MapSocket, type MapSpec, type NetDevice,
} from '../../../src/maps/index.js';

/** A socket for tests: cookies count from 1 as a fresh kernel's do. */
export function testSocket(cookie: bigint, opts: Partial<MapSocket> = {}): MapSocket {
  return { cookie, family: 2, sockmapReady: true, address: 0, ...opts };
}

/**
 * A MapEnv for tests: its own arena, a seeded generator, an fd table (fds from 3 up, like a
 * process's) and one device, ifindex 1 (lo). Maps created through it are registered and get fds.
 */
export class TestEnv implements MapEnv {
  readonly arena: Arena;
  readonly registry: MapRegistry;
  readonly devices = new Map<number, NetDevice>([[1, { ifindex: 1 }]]);
  private readonly fds = new Map<number, FdObject>();
  private nextFd = 3;
  private state: number;

  constructor(readonly ncpus = 2, seed = 1, memoryLimit = 64 << 20) {
    this.arena = new Arena({ limit: memoryLimit });
    this.state = seed >>> 0 || 1;
    this.registry = new MapRegistry(this);
    for (let fd = 0; fd < 3; fd++) this.fds.set(fd, { kind: 'file' });
  }

  randomU32(): number {
    // xorshift32: enough for hash seeds in tests.
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  resolveFd(fd: number): FdObject | undefined {
    return this.fds.get(fd);
  }

  deviceByIfindex(ifindex: number): NetDevice | undefined {
    return this.devices.get(ifindex);
  }

  /** Puts an object in the fd table and returns its fd. */
  open(obj: FdObject): number {
    const fd = this.nextFd++;
    this.fds.set(fd, obj);
    return fd;
  }

  /** Creates and registers a map; returns it with an fd naming it. */
  createMap(spec: MapSpec): { map: BpfMap; fd: number } {
    const map = this.registry.create(spec);
    return { map, fd: this.open({ kind: 'map', map }) };
  }

  /** A program object with an fd. */
  program(prog: MapProgram): number {
    return this.open({ kind: 'prog', prog });
  }
}

/** A little-endian u32 as bytes. */
export function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
}

/** Bytes as hex, for readable comparisons. */
export function hex(b: Uint8Array | undefined): string | undefined {
  return b === undefined ? undefined : Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** The errno name an operation throws, or 'OK' with its result. */
export function outcome<T>(fn: () => T): { errno: string } | { ok: T } {
  try {
    return { ok: fn() };
  } catch (err) {
    const e = err as { errnoName?: string };
    if (e.errnoName) return { errno: e.errnoName };
    throw err;
  }
}

/** The errno name a userspace call fails with, or 'OK'. */
export function errnoOf(fn: () => unknown): string {
  const r = outcome(fn);
  return 'errno' in r ? r.errno : 'OK';
}

/** Reads a little-endian u32. */
export function readU32(b: Uint8Array | undefined, offset = 0): number | undefined {
  return b === undefined ? undefined : new DataView(b.buffer, b.byteOffset).getUint32(offset, true);
}
