import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { Machine, Stepper } from '../../src/vm/index.js';

const src = `
  r0 = 0
  r1 = 3
loop:
  r0 += r1
  *(u64 *)(r10 -8) = r0
  r1 -= 1
  if r1 != 0 goto loop
  exit`;

function stepper(): Stepper {
  const m = new Machine({ cpus: 1 });
  return new Stepper(m.loadProgram({ insns: assemble(src).insns }));
}

describe('Stepper', () => {
  test('step executes one instruction at a time', () => {
    const s = stepper();
    expect(s.status).toBe('ready');
    expect(s.step()).toBe('paused');
    expect(s.pc).toBe(1);
    s.step(2);
    expect(s.pc).toBe(3);
    expect(s.reg(0)).toBe(3n);
    expect(s.count).toBe(3);
  });

  test('breakpoints stop before the instruction and resume past it', () => {
    const s = stepper();
    s.setBreakpoint(4);
    expect(s.continue()).toBe('breakpoint');
    expect(s.pc).toBe(4);
    expect(s.reg(1)).toBe(3n);
    expect(s.continue()).toBe('breakpoint');
    expect(s.reg(1)).toBe(2n);
    s.clearBreakpoint(4);
    expect(s.continue()).toBe('exited');
    expect(s.r0).toBe(6n);
  });

  test('runTo stops at a pc without leaving a breakpoint', () => {
    const s = stepper();
    expect(s.runTo(5)).toBe('breakpoint');
    expect(s.pc).toBe(5);
    expect(s.continue()).toBe('exited');
  });

  test('stack and registers can be read and set between steps', () => {
    const s = stepper();
    s.runTo(4);
    expect(Array.from(s.readStack().subarray(504, 512))).toEqual([3, 0, 0, 0, 0, 0, 0, 0]);
    s.setReg(1, 1);
    expect(s.continue()).toBe('exited');
    expect(s.r0).toBe(3n);
    expect(() => s.setReg(10, 0)).toThrow(/only r0..r9/);
  });

  test('a fault is captured, not thrown', () => {
    const m = new Machine({ cpus: 1 });
    const s = new Stepper(m.loadProgram({ insns: assemble('r1 = 0\nr0 = *(u8 *)(r1 +0)\nexit').insns }));
    expect(s.continue()).toBe('faulted');
    expect(s.fault?.pc).toBe(1);
    expect(s.step()).toBe('faulted');
  });
});
