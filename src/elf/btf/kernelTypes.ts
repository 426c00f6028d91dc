/*
 * The verifier's `KernelTypes` over a parsed target BTF (vmlinux, or bpfsim's own kernel BTF):
 * struct lookups and walks, the struct each map type is in the kernel (map_btf_id), and the
 * prototype of a tracing program's attach target as bpf_check_attach_target finds it.
 */
import type { AttachProto, CtxArgType, KernelTypes } from '../../verifier/index.js';
import { BPF_MODIFY_RETURN, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT, BPF_TRACE_RAW_TP } from '../../uapi.js';
import type { Btf } from './btf.js';
import { structAccess } from './structWalk.js';
import {
  BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_STRUCT,
  BTF_KIND_TYPEDEF, BTF_KIND_UNION, KIND_NAMES, type BtfFuncProto,
} from './types.js';

/** The struct behind each map type's kernel object (its ops' map_btf_id), Linux 6.18. */
const MAP_STRUCTS: Readonly<Record<number, string>> = {
  1: 'bpf_htab', 2: 'bpf_array', 3: 'bpf_array', 4: 'bpf_array', 5: 'bpf_htab', 6: 'bpf_array', 7: 'bpf_stack_map',
  8: 'bpf_array', 9: 'bpf_htab', 10: 'bpf_htab', 11: 'lpm_trie', 12: 'bpf_array', 13: 'bpf_htab', 14: 'bpf_dtab',
  15: 'bpf_stab', 16: 'bpf_cpu_map', 17: 'xsk_map', 18: 'bpf_shtab', 19: 'bpf_cgroup_storage_map', 20: 'reuseport_array',
  21: 'bpf_cgroup_storage_map', 22: 'bpf_queue_stack', 23: 'bpf_queue_stack', 24: 'bpf_local_storage_map', 25: 'bpf_dtab',
  26: 'bpf_struct_ops_map', 27: 'bpf_ringbuf_map', 28: 'bpf_local_storage_map', 29: 'bpf_local_storage_map',
  30: 'bpf_bloom_filter', 31: 'bpf_ringbuf_map', 32: 'bpf_local_storage_map', 33: 'bpf_arena',
};

const RAW_TP_PREFIX = 'btf_trace_';

/** btf_type_str: the kind's name, `UNKNOWN` for void. */
function kindName(btf: Btf, id: number): string {
  const t = btf.types[id];
  return !t || t.kind === 0 ? 'UNKNOWN' : KIND_NAMES[t.kind];
}

/** The bytes a parameter or return value takes in the context (btf_ctx_arg_idx's step). */
function ctxBytes(btf: Btf, id: number): number {
  const t = btf.type(btf.skipMods(id));
  if (t.kind === BTF_KIND_PTR) return 8;
  const size = 'size' in t ? t.size : 0;
  return Math.ceil(size / 8) * 8;
}

/** How btf_ctx_access types a slot of type `id`. */
function ctxArgType(btf: Btf, id: number): CtxArgType {
  const sid = btf.skipMods(id);
  const t = btf.type(sid);
  if ((t.kind === BTF_KIND_INT && t.size <= 8) || t.kind === BTF_KIND_ENUM || t.kind === BTF_KIND_ENUM64) return { kind: 'scalar' };
  if (t.kind === BTF_KIND_STRUCT || t.kind === BTF_KIND_UNION) return { kind: 'scalar' };
  if (t.kind !== BTF_KIND_PTR) return { kind: 'other', name: t.name, kindName: kindName(btf, sid) };
  const pid = btf.skipMods(t.type);
  const p = btf.type(pid);
  if (p.kind !== BTF_KIND_STRUCT && p.kind !== BTF_KIND_UNION) return { kind: 'pointer' };
  return { kind: 'struct', id: pid, name: p.name, kindName: KIND_NAMES[p.kind] };
}

function attachProto(btf: Btf, btfId: number, attachType: number): AttachProto | string {
  const t = btf.types[btfId];
  if (!t || btfId === 0) return `attach_btf_id ${btfId} is invalid`;
  if (!t.name) return `attach_btf_id ${btfId} doesn't have a name`;
  let name = t.name;
  let protoId: number;
  const rawTp = attachType === BPF_TRACE_RAW_TP;
  if (rawTp) {
    if (t.kind !== BTF_KIND_TYPEDEF) return `attach_btf_id ${btfId} is not a typedef`;
    if (!name.startsWith(RAW_TP_PREFIX)) return `attach_btf_id ${btfId} points to wrong type name ${name}`;
    name = name.slice(RAW_TP_PREFIX.length);
    const ptr = btf.type(t.type);
    if (ptr.kind !== BTF_KIND_PTR) return `attach_btf_id ${btfId} is not a pointer to a function prototype`;
    protoId = ptr.type;
  } else if (attachType === BPF_TRACE_FENTRY || attachType === BPF_TRACE_FEXIT || attachType === BPF_MODIFY_RETURN) {
    if (t.kind !== BTF_KIND_FUNC) return `attach_btf_id ${btfId} is not a function`;
    protoId = t.type;
  } else {
    return `attach type ${attachType} of a tracing program is not supported by bpfsim's verifier`;
  }
  const proto = btf.type(protoId);
  if (proto.kind !== BTF_KIND_FUNC_PROTO) return `attach_btf_id ${btfId} is not a function prototype`;
  const ret = btf.skipMods((proto as BtfFuncProto).type);
  const retType = btf.type(ret);
  return {
    name, rawTp,
    params: proto.params.map((p) => ctxArgType(btf, p.type)),
    paramBytes: proto.params.map((p) => ctxBytes(btf, p.type)),
    ret: ctxArgType(btf, ret), retBytes: ret === 0 ? 0 : ctxBytes(btf, ret),
    retSmallInt: retType.kind === BTF_KIND_INT && retType.size <= 8, retKindName: kindName(btf, ret),
  };
}

/** The verifier's KernelTypes over a target BTF. */
export function btfKernelTypes(btf: Btf): KernelTypes {
  return {
    typeName: (id) => btf.types[id]?.name ?? '',
    mapStructId: (mapType) => {
      const name = MAP_STRUCTS[mapType];
      return name === undefined ? undefined : btf.find(name, BTF_KIND_STRUCT);
    },
    structId: (name) => btf.find(name, BTF_KIND_STRUCT),
    structAccess: (id, off, size) => structAccess(btf, id, off, size),
    attachProto: (btfId, attachType) => attachProto(btf, btfId, attachType),
  };
}
