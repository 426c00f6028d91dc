/*
 * BTF types printed as C: declarators built inside-out (`int (*handlers[4])(void *)`), anonymous
 * structs and unions expanded inline as bpftool's `format c` does, definitions for named types.
 */
import type { Btf } from './btf.js';
import {
  BTF_FUNC_EXTERN, BTF_FUNC_STATIC, BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG,
  BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD,
  BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_RESTRICT, BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_TYPE_TAG,
  BTF_KIND_UNION, BTF_KIND_UNKN, BTF_KIND_VAR, BTF_KIND_VOLATILE, BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC,
  type BtfComposite, type BtfFuncProto,
} from './types.js';

/** How deep anonymous structs are expanded inline before `{...}` is printed instead. */
const MAX_INLINE_DEPTH = 8;

const MODIFIER: Readonly<Record<number, string>> = {
  [BTF_KIND_CONST]: 'const', [BTF_KIND_VOLATILE]: 'volatile', [BTF_KIND_RESTRICT]: 'restrict',
};

function indent(level: number): string {
  return '\t'.repeat(level);
}

function params(btf: Btf, proto: BtfFuncProto, level: number): string {
  if (proto.params.length === 0) return 'void';
  return proto.params.map((p, i) => (p.type === 0 && i === proto.params.length - 1 && !p.name
    ? '...'
    : declare(btf, p.type, p.name, level))).join(', ');
}

function compositeBody(btf: Btf, t: BtfComposite, level: number): string {
  if (t.members.length === 0) return '{}';
  const lines = t.members.map((m) => {
    const bits = m.bitfieldSize ? `: ${m.bitfieldSize}` : '';
    return `${indent(level + 1)}${declare(btf, m.type, m.name, level + 1)}${bits};`;
  });
  return `{\n${lines.join('\n')}\n${indent(level)}}`;
}

/** The base of a declarator: `int`, `struct foo`, an inline anonymous struct. */
function base(btf: Btf, id: number, level: number): string {
  const t = btf.type(id);
  switch (t.kind) {
    case BTF_KIND_UNKN: return 'void';
    case BTF_KIND_INT: case BTF_KIND_FLOAT: case BTF_KIND_TYPEDEF: return t.name;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
      const kw = t.kind === BTF_KIND_STRUCT ? 'struct' : 'union';
      if (t.name) return `${kw} ${t.name}`;
      return level < MAX_INLINE_DEPTH ? `${kw} ${compositeBody(btf, t, level)}` : `${kw} {...}`;
    }
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
      return t.name ? `enum ${t.name}` : `enum ${enumBody(t.values, level)}`;
    case BTF_KIND_FWD: return `${t.union ? 'union' : 'struct'} ${t.name}`;
    default: return `/* ${btf.describe(id)} */`;
  }
}

function enumBody(values: readonly { name: string; value: bigint }[], level: number): string {
  if (values.length === 0) return '{}';
  return `{\n${values.map((v) => `${indent(level + 1)}${v.name} = ${v.value},`).join('\n')}\n${indent(level)}}`;
}

/**
 * A C declaration of `name` with type `id` (`unsigned char h_dest[6]`, `int (*cb)(void *)`); with
 * an empty name, the abstract type (`struct ethhdr *`).
 */
export function declare(btf: Btf, id: number, name = '', level = 0): string {
  let inner = name;
  let prefix = '';
  let pointerPending = false;
  for (let steps = 0; steps <= btf.types.length; steps++) {
    const t = btf.type(id);
    switch (t.kind) {
      case BTF_KIND_PTR:
        inner = `*${inner}`;
        pointerPending = true;
        id = t.type;
        continue;
      case BTF_KIND_ARRAY:
        if (pointerPending) inner = `(${inner})`;
        pointerPending = false;
        inner = `${inner}[${t.nelems}]`;
        id = t.type;
        continue;
      case BTF_KIND_FUNC_PROTO:
        if (pointerPending) inner = `(${inner})`;
        pointerPending = false;
        inner = `${inner}(${params(btf, t, level)})`;
        id = t.type;
        continue;
      case BTF_KIND_CONST: case BTF_KIND_VOLATILE: case BTF_KIND_RESTRICT: case BTF_KIND_TYPE_TAG: {
        const word = t.kind !== BTF_KIND_TYPE_TAG ? MODIFIER[t.kind]!
          : t.attribute ? `__attribute__((${t.name}))` : `__attribute__((btf_type_tag("${t.name}")))`;
        // A qualifier of a pointer goes after its `*` (`int *const p`), one of a base type before it.
        const ofPointer = t.kind === BTF_KIND_TYPE_TAG ? inner.startsWith('*') : btf.type(btf.skipMods(t.type)).kind === BTF_KIND_PTR;
        if (ofPointer) {
          inner = `${word} ${inner}`;
        } else {
          prefix += `${word} `;
        }
        id = t.type;
        continue;
      }
      default: {
        const b = prefix + base(btf, id, level);
        if (!inner) return b;
        return inner.startsWith('[') ? `${b}${inner}` : `${b} ${inner}`;
      }
    }
  }
  return `/* type loop at ${btf.describe(id)} */ ${name}`;
}

/** The C definition of a type: a struct, union or enum body, a typedef, a function prototype, a variable. */
export function typeToC(btf: Btf, id: number): string {
  const t = btf.type(id);
  switch (t.kind) {
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
      const kw = t.kind === BTF_KIND_STRUCT ? 'struct' : 'union';
      return `${kw}${t.name ? ` ${t.name}` : ''} ${compositeBody(btf, t, 0)};`;
    }
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
      return `enum${t.name ? ` ${t.name}` : ''} ${enumBody(t.values, 0)};`;
    case BTF_KIND_TYPEDEF:
      return `typedef ${declare(btf, t.type, t.name)};`;
    case BTF_KIND_FWD:
      return `${t.union ? 'union' : 'struct'} ${t.name};`;
    case BTF_KIND_FUNC: {
      const linkage = t.linkage === BTF_FUNC_STATIC ? 'static ' : t.linkage === BTF_FUNC_EXTERN ? 'extern ' : '';
      return `${linkage}${declare(btf, t.type, t.name)};`;
    }
    case BTF_KIND_VAR: {
      const linkage = t.linkage === BTF_VAR_STATIC ? 'static ' : t.linkage === BTF_VAR_GLOBAL_EXTERN ? 'extern ' : '';
      return `${linkage}${declare(btf, t.type, t.name)};`;
    }
    case BTF_KIND_DATASEC: {
      const vars = t.vars.map((v) => {
        const vt = btf.type(v.type);
        const decl = vt.kind === BTF_KIND_VAR || vt.kind === BTF_KIND_FUNC ? declare(btf, vt.type, vt.name, 1) : btf.describe(v.type);
        return `\t${decl}; /* offset ${v.offset}, size ${v.size} */`;
      });
      return `SEC("${t.name}") /* ${t.size} bytes */ {\n${vars.join('\n')}${vars.length ? '\n' : ''}};`;
    }
    case BTF_KIND_DECL_TAG: {
      const where = t.componentIdx < 0 ? '' : ` (component ${t.componentIdx})`;
      const attr = t.attribute ? t.name : `btf_decl_tag("${t.name}")`;
      return `/* __attribute__((${attr})) on ${btf.describe(t.type)}${where} */`;
    }
    case BTF_KIND_INT: case BTF_KIND_FLOAT:
      return `/* ${t.name}: ${t.size} bytes */`;
    default:
      return `${declare(btf, id)};`;
  }
}
