/* BTF types in bpftool's `btf dump … format raw` text, one type per entry. */
import type { Btf } from './btf.js';
import {
  BTF_INT_BOOL, BTF_INT_CHAR, BTF_INT_SIGNED, BTF_KIND_ARRAY, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG,
  BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD,
  BTF_KIND_INT, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_UNKN, BTF_KIND_VAR, KIND_NAMES,
} from './types.js';

const FUNC_LINKAGE = ['static', 'global', 'extern'];
const VAR_LINKAGE = ['static', 'global', 'extern'];

function q(name: string): string {
  return `'${name || '(anon)'}'`;
}

function intEncoding(enc: number): string {
  if (enc & BTF_INT_SIGNED) return 'SIGNED';
  if (enc & BTF_INT_CHAR) return 'CHAR';
  if (enc & BTF_INT_BOOL) return 'BOOL';
  return '(none)';
}

/** One type as bpftool's raw dump prints it (`[1] INT 'int' size=4 bits_offset=0 nr_bits=32 encoding=SIGNED`), members on tab-indented lines. */
export function formatTypeRaw(btf: Btf, id: number): string {
  const t = btf.type(id);
  const head = `[${id}] ${KIND_NAMES[t.kind]} ${q(t.name)}`;
  switch (t.kind) {
    case BTF_KIND_UNKN: return `[0] void`;
    case BTF_KIND_INT:
      return `${head} size=${t.size} bits_offset=${t.offset} nr_bits=${t.bits} encoding=${intEncoding(t.encoding)}`;
    case BTF_KIND_ARRAY:
      return `${head} type_id=${t.type} index_type_id=${t.indexType} nr_elems=${t.nelems}`;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION:
      return [`${head} size=${t.size} vlen=${t.members.length}`, ...t.members.map((m) =>
        `\t${q(m.name)} type_id=${m.type} bits_offset=${m.bitOffset}${m.bitfieldSize ? ` bitfield_size=${m.bitfieldSize}` : ''}`)].join('\n');
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
      return [`${head} encoding=${t.signed ? 'SIGNED' : 'UNSIGNED'} size=${t.size} vlen=${t.values.length}`,
        ...t.values.map((v) => `\t${q(v.name)} val=${v.value}`)].join('\n');
    case BTF_KIND_FWD:
      return `${head} fwd_kind=${t.union ? 'union' : 'struct'}`;
    case BTF_KIND_FUNC:
      return `${head} type_id=${t.type} linkage=${FUNC_LINKAGE[t.linkage] ?? t.linkage}`;
    case BTF_KIND_FUNC_PROTO:
      return [`${head} ret_type_id=${t.type} vlen=${t.params.length}`, ...t.params.map((p) => `\t${q(p.name)} type_id=${p.type}`)].join('\n');
    case BTF_KIND_VAR:
      return `${head} type_id=${t.type}, linkage=${VAR_LINKAGE[t.linkage] ?? t.linkage}`;
    case BTF_KIND_DATASEC:
      return [`${head} size=${t.size} vlen=${t.vars.length}`, ...t.vars.map((v) => {
        const vt = btf.types[v.type];
        return `\ttype_id=${v.type} offset=${v.offset} size=${v.size}${vt ? ` (${KIND_NAMES[vt.kind]} ${q(vt.name)})` : ''}`;
      })].join('\n');
    case BTF_KIND_FLOAT:
      return `${head} size=${t.size}`;
    case BTF_KIND_DECL_TAG:
      return `${head} type_id=${t.type} component_idx=${t.componentIdx}${t.attribute ? ' kind_flag=1' : ''}`;
    default:
      return `${head} type_id=${t.type}${t.attribute ? ' kind_flag=1' : ''}`;
  }
}
