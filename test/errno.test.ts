import { describe, expect, test } from 'vitest';
import { BpfError } from '../src/errors.js';
import { ERRNO, errnoName, errnoValue } from '../src/errno.js';
import { KernelError, logSummary } from '../src/kernel/errno.js';

describe('errno table', () => {
  test.each([
    { name: 'EPERM', value: 1 }, { name: 'ENOENT', value: 2 }, { name: 'E2BIG', value: 7 }, { name: 'EBADF', value: 9 },
    { name: 'EAGAIN', value: 11 }, { name: 'ENOMEM', value: 12 }, { name: 'EACCES', value: 13 }, { name: 'EFAULT', value: 14 },
    { name: 'EBUSY', value: 16 }, { name: 'EEXIST', value: 17 }, { name: 'EINVAL', value: 22 }, { name: 'ENOSPC', value: 28 },
    { name: 'ERANGE', value: 34 }, { name: 'ENOSYS', value: 38 }, { name: 'ELOOP', value: 40 }, { name: 'EOPNOTSUPP', value: 95 },
    { name: 'ENOTSUPP', value: 524 },
  ])('$name ↔ $value', ({ name, value }) => {
    expect(errnoName(value)).toBe(name);
    expect(errnoValue(name)).toBe(value);
  });

  test('aliases parse to the value but print as the canonical name', () => {
    expect(errnoValue('ENOTSUP')).toBe(ERRNO.EOPNOTSUPP);
    expect(errnoValue('EWOULDBLOCK')).toBe(ERRNO.EAGAIN);
    expect(errnoName(95)).toBe('EOPNOTSUPP');
  });

  test('unknown values and names', () => {
    expect(errnoName(4242)).toBe('E4242');
    expect(errnoValue('ENOTANERRNO')).toBeUndefined();
  });
});

describe('KernelError', () => {
  const log = '0: R1=ctx() R10=fp0\n0: (95) exit\nR0 !read_ok\nprocessed 1 insns (limit 1000000) max_states_per_insn 0\n';

  test('the summary is the last log line that is not a statistic', () => {
    expect(logSummary(log)).toBe('R0 !read_ok');
    expect(logSummary('')).toBeUndefined();
  });

  test('carries errno, its name, the command and the log', () => {
    const err = new KernelError('BPF_PROG_LOAD', 13, { log });
    expect(err).toBeInstanceOf(BpfError);
    expect(err).toMatchObject({ errno: 13, errnoName: 'EACCES', code: 'EACCES', op: 'BPF_PROG_LOAD', log, name: 'KernelError' });
    expect(err.message).toBe('BPF_PROG_LOAD failed: EACCES (13): R0 !read_ok');
  });

  test('a detail replaces the log summary; without either the message ends at the errno', () => {
    expect(new KernelError('BPF_MAP_UPDATE_BATCH', 7, { detail: 'after 2 of 5 elements' }).message)
      .toBe('BPF_MAP_UPDATE_BATCH failed: E2BIG (7): after 2 of 5 elements');
    expect(new KernelError('BPF_MAP_DELETE_ELEM', 2).message).toBe('BPF_MAP_DELETE_ELEM failed: ENOENT (2)');
  });
});
