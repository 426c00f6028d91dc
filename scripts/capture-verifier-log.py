#!/usr/bin/env python3
"""Captures how the running Linux kernel's verifier prints every kind of BPF instruction.

Loads small SOCKET_FILTER / XDP programs with BPF_PROG_LOAD at log_level 2 through the bpf(2)
syscall (python ctypes, no other dependency), keeps the `N: (code) text` lines of the verifier
log and writes them, with the programs' bytes, to test/isa/fixtures/verifier-log.json. The test
test/isa/disasm.kernel.test.ts compares bpfsim's kernel-style disassembly with every line.

Needs root (or CAP_BPF + CAP_PERFMON) on x86-64. Kernel addresses that the log prints for map
loads are replaced by `<kernel address>`.

    sudo python3 scripts/capture-verifier-log.py [output.json]
"""
import ctypes
import json
import os
import re
import struct
import sys

SYS_BPF = 321  # x86-64
BPF_MAP_CREATE, BPF_PROG_LOAD = 0, 5
SOCKET_FILTER, XDP = 1, 6
ARRAY_MAP = 2

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long


def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    ret = libc.syscall(SYS_BPF, cmd, buf, len(attr))
    return ret, ctypes.get_errno()


def insn(code, dst=0, src=0, off=0, imm=0):
    return [struct.pack('<BBhi', code, dst | (src << 4), off, imm)]


def ld64(dst, value, src=0, hi=None):
    lo = value & 0xFFFFFFFF
    high = (value >> 32) & 0xFFFFFFFF if hi is None else hi
    return [struct.pack('<BBhI', 0x18, dst | (src << 4), 0, lo), struct.pack('<BBhI', 0, 0, 0, high)]


def mov(dst, imm):
    return insn(0xB7, dst, 0, 0, imm)


EXIT = insn(0x95)
RET0 = mov(0, 0) + EXIT


def create_array_map():
    attr = struct.pack('<IIII', ARRAY_MAP, 4, 8, 1)
    fd, err = bpf(BPF_MAP_CREATE, attr)
    if fd < 0:
        sys.exit(f'BPF_MAP_CREATE failed: {os.strerror(err)}')
    return fd


def read_btf_ids(names):
    """Type ids of the named FUNC entries of the running kernel's BTF."""
    data = open('/sys/kernel/btf/vmlinux', 'rb').read()
    _, _, _, hdr_len, type_off, type_len, str_off, str_len = struct.unpack_from('<HBBIIIII', data, 0)
    types = data[hdr_len + type_off:hdr_len + type_off + type_len]
    strs = data[hdr_len + str_off:hdr_len + str_off + str_len]
    extra = {1: 4, 3: 12, 14: 4, 17: 4}
    per_member = {4: 12, 5: 12, 6: 8, 13: 8, 15: 12, 19: 12}
    found, pos, type_id = {}, 0, 1
    while pos < len(types):
        name_off, info, _ = struct.unpack_from('<III', types, pos)
        kind, vlen = (info >> 24) & 0x1F, info & 0xFFFF
        if kind == 12:
            name = strs[name_off:strs.index(b'\0', name_off)].decode()
            if name in names:
                found[name] = type_id
        pos += 12 + extra.get(kind, 0) + per_member.get(kind, 0) * vlen
        type_id += 1
    return found


def alu_program(cls):
    """Every ALU operation of one class (0x07 ALU64 or 0x04 ALU32), immediate and register forms."""
    out = mov(1, 7) + mov(2, 3)
    for op in (0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xA0, 0xC0):
        out += insn(cls | op, 1, 0, 0, 3 if op in (0x60, 0x70, 0xC0) else -3)
        out += insn(cls | op | 0x08, 1, 2)
    out += insn(cls | 0xB0, 1, 0, 0, -5) + insn(cls | 0xB8, 1, 2) + insn(cls | 0x80, 1)
    for op in (0x30, 0x90):  # sdiv, smod
        out += insn(cls | op, 1, 0, 1, -3) + insn(cls | op | 0x08, 1, 2, 1)
    for width in ((8, 16, 32) if cls == 0x07 else (8, 16)):
        out += insn(cls | 0xB8, 1, 2, width)
    if cls == 0x07:
        out += [b for w in (16, 32, 64) for b in insn(0xD7, 1, 0, 0, w)]
    else:
        out += [b for code in (0xD4, 0xDC) for w in (16, 32, 64) for b in insn(code, 1, 0, 0, w)]
    return out + RET0


def jump_program():
    # Operands from bpf_get_prandom_u32, so that the verifier walks both ways of every branch.
    out = insn(0x85, 0, 0, 0, 7) + insn(0xBF, 6, 0) + insn(0x85, 0, 0, 0, 7) + insn(0xBF, 2, 0)
    out += insn(0xBF, 1, 6) + mov(3, 0)
    for cls in (0x05, 0x06):
        for op in (0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xA0, 0xB0, 0xC0, 0xD0):
            out += insn(cls | op, 1, 0, 1, -7) + mov(3, 1)
            out += insn(cls | op | 0x08, 1, 2, 1) + mov(3, 2)
    out += insn(0x05, 0, 0, 0) + insn(0x06, 0, 0, 0, 0)
    out += mov(4, 0) + insn(0x07, 4, 0, 0, 1) + insn(0xA5, 4, 0, -2, 4)  # bounded loop, backward jump
    out += insn(0xE5, 0, 0, 1) + insn(0x05, 0, 0, -2)  # may_goto loop
    return out + RET0


def memory_program():
    out = mov(1, -2)
    for size, off in ((0x18, -8), (0x00, -12), (0x08, -14), (0x10, -15)):
        out += insn(0x63 | size, 10, 1, off)
    for size, off in ((0x18, -24), (0x00, -28), (0x08, -30), (0x10, -31)):
        out += insn(0x62 | size, 10, 0, off, -2)
    for size, off in ((0x18, -8), (0x00, -12), (0x08, -14), (0x10, -15)):
        out += insn(0x61 | size, 2, 10, off)
    for size, off in ((0x00, -28), (0x08, -30), (0x10, -31)):
        out += insn(0x81 | size, 3, 10, off)
    return out + RET0


def atomic_program():
    out = mov(1, 1) + mov(0, 0) + insn(0x7B, 10, 1, -8) + insn(0x7B, 10, 1, -16)
    for size, off in ((0x18, -8), (0x00, -16)):
        for op in (0x00, 0x40, 0x50, 0xA0, 0x01, 0x41, 0x51, 0xA1, 0xE1, 0xF1):
            out += insn(0xC3 | size, 10, 1, off, op) + mov(1, 1) + mov(0, 0)
    return out + RET0


def packet_program():
    out = insn(0xBF, 6, 1) + mov(7, 2)
    for size in (0x10, 0x08, 0x00):
        out += insn(0x20 | size, 0, 0, 0, 12)
        out += insn(0x40 | size, 0, 7, 0, 4) + insn(0x40 | size, 0, 7, 0, -1)
    return out + RET0


def map_program(fd):
    out = ld64(1, 0x1122334455667788) + ld64(1, 5) + ld64(1, 0xFFFFFFFFFFFFFFFF)
    out += insn(0x62, 10, 0, -4, 0) + insn(0xBF, 2, 10) + insn(0x07, 2, 0, 0, -4)
    out += ld64(1, fd, src=1, hi=0) + insn(0x85, 0, 0, 0, 1)
    out += insn(0x15, 0, 0, 1, 0) + insn(0x79, 0, 0, 0)
    out += ld64(1, fd, src=2, hi=4) + insn(0x61, 0, 1, 0)
    out += ld64(1, 0, src=5, hi=0) + ld64(1, 0, src=6, hi=0)
    out += insn(0x85, 0, 0, 0, 5) + insn(0x85, 0, 0, 0, 7)
    return out + RET0


def call_program():
    """A bpf-to-bpf call (slot 1 calls slot 3)."""
    return insn(0x85, 0, 0, 0, 7) + insn(0x85, 0, 1, 0, 1) + EXIT + mov(0, 1) + EXIT


def pseudo_func_program():
    """A BPF_PSEUDO_FUNC load. Without BTF func_info the kernel refuses it, after printing it."""
    return mov(1, 1) + ld64(2, 3, src=4, hi=0) + RET0 + RET0  # slot 1 refers to slot 5


def kfunc_program(ids):
    return insn(0x85, 0, 2, 0, ids['bpf_rcu_read_lock']) + insn(0x85, 0, 2, 0, ids['bpf_rcu_read_unlock']) + RET0


def load(name, prog_type, insns, fd_array=None, refused=False):
    code = b''.join(insns)
    log = ctypes.create_string_buffer(1 << 26)
    license_ = ctypes.create_string_buffer(b'GPL')
    code_buf = ctypes.create_string_buffer(code, len(code))
    fds = (ctypes.c_int * len(fd_array))(*fd_array) if fd_array else None
    # union bpf_attr for BPF_PROG_LOAD, up to fd_array: prog_type, insn_cnt, insns, license,
    # log_level, log_size, log_buf, kern_version, prog_flags, prog_name, then zeros to fd_array.
    attr = struct.pack('<IIQQIIQII16sIIIIQIIQIIIIQ',
                       prog_type, len(insns), ctypes.addressof(code_buf), ctypes.addressof(license_),
                       2, len(log), ctypes.addressof(log), 0, 0, name.encode()[:15], 0, 0, 0, 0, 0, 0,
                       0, 0, 0, 0, 0, 0, ctypes.addressof(fds) if fds else 0)
    fd, err = bpf(BPF_PROG_LOAD, attr)
    text = log.value.decode(errors='replace')
    if (fd < 0) != refused:
        outcome = f'failed ({os.strerror(err)})' if fd < 0 else 'succeeded'
        sys.exit(f'{name}: BPF_PROG_LOAD {outcome}; verifier log tail:\n{text[-3000:]}')
    if fd >= 0:
        os.close(fd)
    return text


POINTER_SOURCES = {1, 2, 3, 5, 6}


def parse_log(text, insns):
    lines = {}
    for raw in text.splitlines():
        m = re.match(r'^(\d+): (\([0-9a-f]{2}\) .*?|BUG_\S+)(?:\s+;.*)?$', raw)
        if not m:
            continue
        index, line = int(m.group(1)), m.group(2)
        code, regs = insns[index][0], insns[index][1]
        if code == 0x18 and (regs >> 4) in POINTER_SOURCES:
            line = re.sub(r'= 0x[0-9a-f]+$', '= <kernel address>', line)
        previous = lines.setdefault(str(index), line)
        if previous != line:
            sys.exit(f'insn {index} printed two ways: {previous!r} and {line!r}')
    return lines


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'isa', 'fixtures', 'verifier-log.json'))
    fd = create_array_map()
    ids = read_btf_ids({'bpf_rcu_read_lock', 'bpf_rcu_read_unlock'})
    programs = [
        ('alu64', XDP, alu_program(0x07), None, False),
        ('alu32', XDP, alu_program(0x04), None, False),
        ('jumps', XDP, jump_program(), None, False),
        ('memory', XDP, memory_program(), None, False),
        ('atomics', XDP, atomic_program(), None, False),
        ('packet', SOCKET_FILTER, packet_program(), None, False),
        ('maps', XDP, map_program(fd), [fd], False),
        ('calls', XDP, call_program(), None, False),
        ('pseudo_func', XDP, pseudo_func_program(), None, True),
        ('kfuncs', XDP, kfunc_program(ids), None, False),
    ]
    result = []
    for name, prog_type, insns, fd_array, refused in programs:
        text = load(name, prog_type, insns, fd_array, refused)
        lines = parse_log(text, insns)
        second_halves = {i + 1 for i, slot in enumerate(insns) if slot[0] == 0x18}
        missing = [i for i in range(len(insns)) if str(i) not in lines and i not in second_halves]
        if missing and not refused:
            sys.exit(f'{name}: the log has no line for insns {missing}')
        result.append({
            'name': name,
            'progType': 'socket_filter' if prog_type == SOCKET_FILTER else 'xdp',
            'insns': [slot.hex() for slot in insns],
            'kfuncs': {str(v): k for k, v in ids.items()} if name == 'kfuncs' else {},
            'lines': dict(sorted(lines.items(), key=lambda kv: int(kv[0]))),
        })
    doc = {'kernel': os.uname().release, 'programs': result}
    with open(out_path, 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    print(f'wrote {sum(len(p["lines"]) for p in result)} lines from {len(result)} programs to {out_path}')


if __name__ == '__main__':
    main()
