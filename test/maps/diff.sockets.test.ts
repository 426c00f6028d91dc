import dgram from 'node:dgram';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { KernelMap, kernelAvailable, ncpus } from '../../src/kernel/index.js';
import type { MapSpec } from '../../src/maps/index.js';
import {
  BPF_F_NO_PREALLOC, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_XSKMAP,
} from '../../src/uapi.js';
import { TestEnv, testSocket, u32 } from './support/env.js';
import { opsArb, printTallies, type DiffConfig, type Side } from './support/diff.js';
import { CLOSED_FD, runDiff, type Pool } from './support/sides.js';

/*
 * Socket maps against the kernel with real sockets: a listening TCP socket and a bound UDP socket
 * opened by Node, whose fds the kernel takes; the simulator gets sockets with the same roles.
 * Cookies differ between the two, so values read back are compared by socket name.
 */

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel differential tests: ${availability.reason}`);

const RUNS = 300;

/** The fd behind a Node socket handle (Linux). */
function handleFd(obj: unknown): number {
  return (obj as { _handle: { fd: number } })._handle.fd;
}

describe.skipIf(!availability.ok)('socket maps match the kernel with real sockets', () => {
  const cpus = availability.ok ? ncpus() : 2;
  const env = new TestEnv(cpus);
  const sim: Pool = { fds: [], names: new Map() };
  const kernel: Pool = { fds: [], names: new Map() };
  let server: net.Server;
  let udp: dgram.Socket;
  let array: KernelMap;

  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    array = KernelMap.create({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const fds = [handleFd(server), handleFd(udp)];
    // The kernel gives a socket its cookie on first use; read it back through a scratch sockmap.
    const probe = KernelMap.create({ type: BPF_MAP_TYPE_SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 2 });
    fds.forEach((fd, i) => {
      const v = new Uint8Array(8);
      new DataView(v.buffer).setUint32(0, fd, true);
      probe.update(u32(i), v);
      kernel.names.set(new DataView(probe.lookup(u32(i))!.buffer).getBigUint64(0, true), `sock#${i}`);
      kernel.fds.push(fd);
      const s = testSocket(BigInt(100 + i), { address: 0x1000 * (i + 1) });
      sim.fds.push(env.open({ kind: 'socket', socket: s }));
      sim.names.set(s.cookie, `sock#${i}`);
    });
    probe.close();
    kernel.fds.push(array.fd.raw, CLOSED_FD);
    sim.fds.push(env.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).fd, CLOSED_FD);
  });

  afterAll(() => {
    server?.close();
    udp?.close();
    array?.close();
    printTallies();
  });

  const POOL = 4;
  const fdOf = (valueSize: number) => fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: POOL - 1 }).map((ref) => (side: Side) => fdBytes(side.fd(ref), valueSize)) },
    { weight: 1, arbitrary: fc.constant(fdBytes(0x80000000, valueSize)) },
  );
  const showCookie = (side: Side, v: Uint8Array) => side.ref(new DataView(v.buffer, v.byteOffset).getBigUint64(0, true));

  test.each([
    { name: 'SOCKMAP', spec: { type: BPF_MAP_TYPE_SOCKMAP, keySize: 4, valueSize: 8, maxEntries: 3 } },
    { name: 'SOCKMAP', spec: { type: BPF_MAP_TYPE_SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 3 } },
    { name: 'SOCKHASH', spec: { type: BPF_MAP_TYPE_SOCKHASH, keySize: 4, valueSize: 8, maxEntries: 3 } },
    { name: 'SOCKHASH', spec: { type: BPF_MAP_TYPE_SOCKHASH, keySize: 6, valueSize: 4, maxEntries: 2 } },
    { name: 'XSKMAP', spec: { type: BPF_MAP_TYPE_XSKMAP, keySize: 4, valueSize: 4, maxEntries: 3 } },
  ] as { name: string; spec: MapSpec }[])('$name key $spec.keySize value $spec.valueSize', ({ name, spec }) => {
    const cfg: DiffConfig = { name, spec, ordered: true, show: showCookie };
    const key = fc.integer({ min: 0, max: 2 * spec.maxEntries }).map((n) => {
      const k = new Uint8Array(spec.keySize);
      k.set(u32(n).subarray(0, Math.min(4, spec.keySize)));
      return k;
    });
    const ops = opsArb({ key, value: fdOf(spec.valueSize), ordered: true, batches: true, maxEntries: spec.maxEntries, freeze: true });
    runDiff(cfg, { env, simPool: sim, kernelPool: kernel }, ops, RUNS);
  });

  test('SK_STORAGE keyed by socket fds', () => {
    const spec = { type: BPF_MAP_TYPE_SK_STORAGE, keySize: 4, valueSize: 6, maxEntries: 0, flags: BPF_F_NO_PREALLOC };
    const key = fc.integer({ min: 0, max: POOL - 1 }).map((ref) => (side: Side) => u32(side.fd(ref)));
    const value = fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(6).fill(b));
    const ops = opsArb({ key, value, ordered: true, batches: true, maxEntries: 1, freeze: true });
    runDiff({ name: 'SK_STORAGE', spec, ordered: true }, { env, simPool: sim, kernelPool: kernel }, ops, RUNS);
  });
});

function fdBytes(fd: number, size: number): Uint8Array {
  const v = new Uint8Array(size);
  new DataView(v.buffer).setUint32(0, fd, true);
  return v;
}
