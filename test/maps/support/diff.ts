import fc from 'fast-check';
import type { BatchLookupResult, MapSpec, UserMap } from '../../../src/maps/index.js';
import { hex } from './env.js';

/** Bytes of an operation, or a function giving them per side (for fds of pooled objects). */
export type Bytes = Uint8Array | ((side: Side) => Uint8Array);

/** One userspace operation of a differential sequence. */
export type Op =
  | { kind: 'update'; key: Bytes | null; value: Bytes; flags: number }
  | { kind: 'lookup'; key: Bytes | null; flags: number }
  | { kind: 'delete'; key: Bytes | null }
  | { kind: 'nextKey'; key: Bytes | undefined }
  | { kind: 'lookupAndDelete'; key: Bytes | null; flags: number }
  | { kind: 'freeze' }
  | { kind: 'lookupBatch'; del: boolean; count: number; resume: boolean; elemFlags: number; flags: number }
  | { kind: 'updateBatch'; keys: Bytes[]; values: Bytes[]; elemFlags: number }
  | { kind: 'deleteBatch'; keys: Bytes[]; elemFlags: number }
  | { kind: 'walk' };

/** What both backends' maps offer userspace. */
export interface DiffMap extends UserMap {
  lookup(key: Uint8Array | null, flags?: number): Uint8Array | undefined;
  update(key: Uint8Array | null, value: Uint8Array, flags?: number): void;
  delete(key: Uint8Array | null): void;
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined;
  lookupAndDelete(key: Uint8Array | null, flags?: number): Uint8Array | undefined;
  freeze(): void;
  close(): void;
}

/** One backend in a comparison: its map and how it names pooled objects. */
export interface Side {
  readonly name: 'sim' | 'kernel';
  readonly map: DiffMap;
  /** The fd of pooled object `ref` on this side. */
  fd(ref: number): number;
  /** The pool name of an object id or socket cookie this side reports. */
  ref(id: bigint): string;
  /** The last out_batch token, for resumed batches. */
  token?: Uint8Array | undefined;
}

/** How to compare one map configuration. */
export interface DiffConfig {
  readonly name: string;
  readonly spec: MapSpec;
  /** Whether iteration order is Linux's (deterministic); else keys are compared as sets. */
  readonly ordered: boolean;
  /** Renders a value in backend-independent form (ids and cookies as pool names). */
  readonly show?: (side: Side, value: Uint8Array) => string;
}

/** What a test file compared for one map type. */
export interface Tally {
  sequences: number;
  ops: number;
  /** Operations that succeeded on both sides (the rest agreed on an errno). */
  succeeded: number;
}

const tallies = new Map<string, Tally>();

/** Counts of sequences and operations compared per map type so far. */
export function diffTallies(): ReadonlyMap<string, Tally> {
  return tallies;
}

/** Prints the tallies, one line per map type. */
export function printTallies(): void {
  for (const [name, t] of tallies) {
    console.log(`differential ${name}: ${t.sequences} sequences, ${t.ops} operations (${t.succeeded} succeeded)`);
  }
}

function bytes(side: Side, b: Bytes): Uint8Array;
function bytes(side: Side, b: Bytes | null): Uint8Array | null;
function bytes(side: Side, b: Bytes | null): Uint8Array | null {
  return b === null ? null : typeof b === 'function' ? b(side) : b;
}

function attempt(fn: () => string): string {
  try {
    return fn();
  } catch (err) {
    const e = err as { errnoName?: string; count?: number };
    if (!e.errnoName) throw err;
    return e.count === undefined ? e.errnoName : `${e.errnoName} count=${e.count}`;
  }
}

function showBatch(side: Side, cfg: DiffConfig, r: BatchLookupResult): string {
  const show = cfg.show ?? ((_s: Side, v: Uint8Array) => hex(v)!);
  const pairs = r.keys.map((k, i) => `${hex(k)}=${show(side, r.values[i]!)}`);
  if (!cfg.ordered) pairs.sort();
  return `n=${pairs.length} done=${r.done} ${pairs.join(' ')}${cfg.ordered ? ` out=${hex(r.outBatch)}` : ''}`;
}

/** Runs one operation and renders its outcome in a backend-independent way. */
export function runOp(side: Side, cfg: DiffConfig, op: Op): string {
  const m = side.map;
  const show = cfg.show ?? ((_s: Side, v: Uint8Array) => hex(v)!);
  const value = (v: Uint8Array | undefined) => (v === undefined ? 'ENOENT' : show(side, v));
  switch (op.kind) {
    case 'update':
      return attempt(() => (m.update(bytes(side, op.key), bytes(side, op.value), op.flags), 'OK'));
    case 'lookup':
      return attempt(() => value(m.lookup(bytes(side, op.key), op.flags)));
    case 'delete':
      return attempt(() => (m.delete(bytes(side, op.key)), 'OK'));
    case 'nextKey':
      return attempt(() => hex(m.nextKey(op.key === undefined ? undefined : bytes(side, op.key))) ?? 'END');
    case 'lookupAndDelete':
      return attempt(() => value(m.lookupAndDelete(bytes(side, op.key), op.flags)));
    case 'freeze':
      return attempt(() => (m.freeze(), 'OK'));
    case 'lookupBatch':
      return attempt(() => {
        const opts = { elemFlags: op.elemFlags, flags: op.flags };
        const token = op.resume ? side.token ?? null : null;
        const r = op.del ? m.lookupAndDeleteBatch(token, op.count, opts) : m.lookupBatch(token, op.count, opts);
        side.token = r.outBatch;
        return showBatch(side, cfg, r);
      });
    case 'updateBatch':
      return attempt(() => `n=${m.updateBatch(op.keys.map((k) => bytes(side, k)), op.values.map((v) => bytes(side, v)), { elemFlags: op.elemFlags })}`);
    case 'deleteBatch':
      return attempt(() => `n=${m.deleteBatch(op.keys.map((k) => bytes(side, k)), { elemFlags: op.elemFlags })}`);
    case 'walk':
      return walk(side, cfg);
  }
}

/** Every key by next-key iteration (sorted when the order is not comparable). */
export function walk(side: Side, cfg: DiffConfig): string {
  return attempt(() => {
    const keys: string[] = [];
    let key: Uint8Array | undefined;
    for (let i = 0; i < Math.min(cfg.spec.maxEntries, 4096) + 8; i++) {
      key = side.map.nextKey(key);
      if (!key) break;
      keys.push(hex(key)!);
    }
    if (!cfg.ordered) keys.sort();
    return keys.join(',');
  });
}

/**
 * Runs `ops` on both sides, failing at the first operation whose outcomes differ (with the
 * sequence so far in the message), then compares a final walk; counts what it compared.
 */
export function compareSequence(cfg: DiffConfig, sides: readonly [Side, Side], ops: readonly Op[]): void {
  const log: string[] = [];
  const t = tallies.get(cfg.name) ?? { sequences: 0, ops: 0, succeeded: 0 };
  tallies.set(cfg.name, t);
  t.sequences++;
  for (const op of [...ops, { kind: 'walk' } as const]) {
    const [a, b] = sides.map((s) => runOp(s, cfg, op));
    t.ops++;
    if (!/^E[A-Z0-9]+( count=\d+)?$/.test(a!)) t.succeeded++;
    log.push(`${describe(op)} -> ${a}`);
    if (a !== b) throw new Error(`${cfg.name}: after\n  ${log.join('\n  ')}\nsim gave   ${a}\nkernel gave ${b}`);
  }
}

function describe(op: Op): string {
  const parts = Object.entries(op).filter(([k]) => k !== 'kind').map(([k, v]) => {
    if (v instanceof Uint8Array) return `${k}=${hex(v)}`;
    if (typeof v === 'function') return `${k}=<fd>`;
    if (Array.isArray(v)) return `${k}=[${v.map((x) => (x instanceof Uint8Array ? hex(x) : '<fd>')).join(',')}]`;
    return `${k}=${String(v)}`;
  });
  return `${op.kind}(${parts.join(' ')})`;
}

/** Generators of keys, values and flags for one map configuration. */
export interface OpSpace {
  readonly key: fc.Arbitrary<Bytes | null>;
  /** Keys for updates, when they differ (a bloom filter pushes with a null key but tests with the value). */
  readonly updateKey?: fc.Arbitrary<Bytes | null>;
  readonly value: fc.Arbitrary<Bytes>;
  /** Whether ordered comparisons of next-key and partial batches are meaningful. */
  readonly ordered: boolean;
  /** Whether to generate batch operations. */
  readonly batches: boolean;
  /** Batch counts for unordered maps must cover the whole map. */
  readonly maxEntries: number;
  /** Whether to generate freeze (rarely). */
  readonly freeze?: boolean;
}

/** Update flags as tests draw them: every defined flag, F_LOCK and an undefined bit. */
export const updateFlags = fc.constantFrom(0, 0, 0, 1, 1, 2, 2, 3, 4, 8);
/** Lookup flags as tests draw them. */
export const lookupFlags = fc.constantFrom(0, 0, 0, 0, 0, 0, 4, 1);

/** Random operation sequences over an OpSpace, weighted towards updates and lookups. */
export function opsArb(space: OpSpace, maxLength = 40): fc.Arbitrary<Op[]> {
  const { key, value } = space;
  const batchCount = space.ordered ? fc.integer({ min: 0, max: space.maxEntries + 2 }) : fc.constant(space.maxEntries + 8);
  const arbs: fc.WeightedArbitrary<Op>[] = [
    { weight: 10, arbitrary: fc.record({ kind: fc.constant('update' as const), key: space.updateKey ?? key, value, flags: updateFlags }) },
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('lookup' as const), key, flags: lookupFlags }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), key }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('lookupAndDelete' as const), key, flags: lookupFlags }) },
    { weight: 2, arbitrary: fc.constant({ kind: 'walk' as const }) },
  ];
  if (space.ordered) {
    arbs.push({ weight: 3, arbitrary: fc.record({ kind: fc.constant('nextKey' as const), key: key.map((k) => k ?? undefined) }) });
  }
  if (space.batches) {
    arbs.push(
      { weight: 2, arbitrary: fc.record({
        kind: fc.constant('lookupBatch' as const), del: fc.boolean(), count: batchCount, resume: space.ordered ? fc.boolean() : fc.constant(false),
        elemFlags: fc.constantFrom(0, 0, 0, 0, 1, 4), flags: fc.constantFrom(0, 0, 0, 0, 0, 1),
      }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }).chain((n) => fc.record({
        kind: fc.constant('updateBatch' as const), keys: fc.array(key.map((k) => k ?? new Uint8Array()), { minLength: n, maxLength: n }),
        values: fc.array(value, { minLength: n, maxLength: n }), elemFlags: fc.constantFrom(0, 0, 0, 0, 1, 4),
      })) },
      { weight: 1, arbitrary: fc.record({
        kind: fc.constant('deleteBatch' as const), keys: fc.array(key.map((k) => k ?? new Uint8Array()), { maxLength: 4 }),
        elemFlags: fc.constantFrom(0, 0, 0, 4, 8),
      }) },
    );
  }
  if (space.freeze) arbs.push({ weight: 1, arbitrary: fc.constant({ kind: 'freeze' as const }) });
  return fc.array(fc.oneof(...arbs), { minLength: 1, maxLength, size: 'max' });
}
