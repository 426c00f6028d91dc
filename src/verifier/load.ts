/**
 * The verifier at program load, as the simulated kernel's BPF_PROG_LOAD runs it: the load spec's
 * maps become what the verifier knows of them (a frozen read-only array's contents too, which it
 * reads as constants), BTF line info gives source lines, and a refusal is an `ErrnoError` with the
 * kernel's errno that carries the log and the structured result.
 */
import { ERRNO, ErrnoError } from '../errno.js';
import { licenseIsGplCompatible, type HelperTable } from '../helpers/index.js';
import { BpfMap, type MapSpec } from '../maps/index.js';
import { BPF_F_RDONLY_PROG } from '../uapi.js';
import type { ProgramLoadSpec } from '../vm/backend.js';
import { helperTableProtos } from './helperProtos.js';
import type { KernelTypes } from './kernelTypes.js';
import type { MapInfo } from './regState.js';
import { verifyProgram, type VerifyResult } from './verify.js';

/** BPF_PROG_LOAD refused by the verifier: the kernel's errno, with the log and the verdict. */
export class VerifierRejectedError extends ErrnoError {
  /** The verifier log (at level 1 when the load asked for none, as libbpf retries). */
  readonly log: string;
  /** The structured verdict. */
  readonly result: VerifyResult;

  constructor(result: VerifyResult) {
    const e = result.errors[0];
    super('BPF_PROG_LOAD', result.errno || ERRNO.EACCES, e ? `${e.insn >= 0 ? `insn ${e.insn}: ` : ''}${e.message.split('\n')[0]}` : undefined);
    this.log = result.log;
    this.result = result;
  }
}

function specInfo(s: MapSpec): MapInfo {
  const inner = s.innerMap ? specInfo(s.innerMap) : undefined;
  return {
    type: s.type, keySize: s.keySize, valueSize: s.valueSize, maxEntries: s.maxEntries, name: s.name ?? '', flags: s.flags ?? 0,
    ...(inner ? { inner } : {}),
  };
}

/** What the verifier knows of a map of the fd_array. */
export function mapInfoOf(map: unknown): MapInfo | undefined {
  if (!(map instanceof BpfMap)) return undefined;
  const s = map.spec;
  const flags = s.flags ?? 0;
  const frozen = map.isFrozen && (flags & BPF_F_RDONLY_PROG) !== 0 && s.type === 2 && s.maxEntries === 1;
  const value = frozen ? map.lookup(new Uint8Array(4)) : undefined;
  const lock = map.fields.find((f) => f.kind === 'spin_lock');
  const timer = map.fields.find((f) => f.kind === 'timer');
  return {
    ...specInfo(s), ...(value ? { frozenValue: value } : {}), ...(lock ? { spinLockOff: lock.offset } : {}),
    ...(timer ? { timerOff: timer.offset } : {}),
  };
}

/**
 * Verifies a load spec against a helper table, the kfuncs on offer (BTF id to name) and the
 * target kernel's types; throws VerifierRejectedError when Linux would refuse it.
 */
export function verifyLoad(spec: ProgramLoadSpec, helpers: HelperTable, kfuncs?: ReadonlyMap<number, string>, kernelTypes?: KernelTypes): VerifyResult {
  const maps = (spec.maps ?? []).map(mapInfoOf);
  const opts = {
    progType: spec.type, expectedAttachType: spec.expectedAttachType ?? 0, maps, helpers: helperTableProtos(helpers),
    gpl: licenseIsGplCompatible(spec.license ?? 'GPL'), funcInfo: (spec.btf?.funcInfo.length ?? 0) > 0,
    ...(spec.btf ? { lineInfo: spec.btf.lineInfo, funcs: spec.btf.funcInfo } : {}), ...(kfuncs ? { kfuncs } : {}), ...(kernelTypes ? { kernelTypes } : {}),
    ...(spec.attachBtfId !== undefined ? { attachBtfId: spec.attachBtfId } : {}),
  };
  const result = verifyProgram(spec.insns, { ...opts, logLevel: spec.logLevel ?? 0 });
  if (result.ok) return result;
  throw new VerifierRejectedError(spec.logLevel ? result : verifyProgram(spec.insns, { ...opts, logLevel: 1 }));
}
