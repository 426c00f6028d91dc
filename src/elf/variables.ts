/*
 * Reading and setting global variables in a spec before load, as a libbpf skeleton's
 * `skel->rodata->x = …` does: the variable's bytes in its data map's initial value.
 */
import { LoadError } from './errors.js';
import type { CollectionSpec, VariableSpec } from './spec.js';

function locate(spec: CollectionSpec, name: string): { v: VariableSpec; value: Uint8Array } {
  const v = spec.variables[name];
  if (!v) throw new LoadError(name, `no such global variable (the object has: ${Object.keys(spec.variables).join(', ') || 'none'})`);
  const content = spec.maps[v.map]?.contents[0];
  if (!content || !('value' in content) || v.offset + v.size > content.value.length) {
    throw new LoadError(name, `variable lies outside the initial value of map '${v.map}'`);
  }
  return { v, value: content.value };
}

/** The current initial bytes of a global variable. */
export function getVariable(spec: CollectionSpec, name: string): Uint8Array {
  const { v, value } = locate(spec, name);
  return value.slice(v.offset, v.offset + v.size);
}

/**
 * Sets a global variable's initial value before load: bytes of its exact size, or an integer
 * (number, bigint or boolean) stored little-endian in its size.
 */
export function setVariable(spec: CollectionSpec, name: string, value: Uint8Array | number | bigint | boolean): void {
  const { v, value: data } = locate(spec, name);
  if (value instanceof Uint8Array) {
    if (value.length !== v.size) throw new LoadError(name, `${value.length} bytes given for a ${v.size}-byte variable`);
    data.set(value, v.offset);
    return;
  }
  if (v.size > 8) throw new LoadError(name, `a ${v.size}-byte variable needs its bytes, not a number`);
  let n = BigInt.asUintN(v.size * 8, BigInt(typeof value === 'boolean' ? Number(value) : value));
  for (let i = 0; i < v.size; i++, n >>= 8n) data[v.offset + i] = Number(n & 0xffn);
}
