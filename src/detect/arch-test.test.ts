import { describe, expect, it } from 'vitest';
import { ARCH_TEST_EXIT, TESTED_ARCHITECTURES, archTestProgram, printfOctal } from './arch-test.js';

// Structural checks of the hand-assembled programs (they were also run: natively on amd64, with qemu-aarch64 for arm64, both exiting 42).
describe('the probe test programs', () => {
  it('are static ELF64 little-endian executables of their machine, whose entry is the code after one PT_LOAD header', () => {
    expect(TESTED_ARCHITECTURES).toEqual(['amd64', 'arm64']);
    for (const [arch, machine] of [
      ['amd64', 0x3e],
      ['arm64', 0xb7],
    ] as const) {
      const b = archTestProgram(arch)!;
      expect(b.subarray(0, 7)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]));
      expect(b.readUInt16LE(16)).toBe(2);
      expect(b.readUInt16LE(18)).toBe(machine);
      expect(b.readBigUInt64LE(24)).toBe(0x400000n + 120n);
      expect(b.readUInt16LE(56)).toBe(1);
      expect(b.readUInt32LE(64)).toBe(1);
      expect(b.readBigUInt64LE(64 + 32)).toBe(BigInt(b.length));
      expect(b.length).toBe(132);
    }
  });
  it('exit with 42: the exit code is in the code (mov edi, 42 / movz x0, #42)', () => {
    expect(ARCH_TEST_EXIT).toBe(42);
    expect(archTestProgram('amd64')!.subarray(120, 125)).toEqual(Buffer.from([0xbf, 42, 0, 0, 0]));
    expect(archTestProgram('arm64')!.readUInt32LE(120)).toBe((0xd2800000 | (42 << 5)) >>> 0);
  });
  it('none for an architecture the probe does not test', () => {
    expect(archTestProgram('s390x')).toBeUndefined();
  });
  it('printfOctal writes every byte as a three-digit octal escape', () => {
    expect(printfOctal(Buffer.from([0x7f, 0, 10, 255]))).toBe('\\177\\000\\012\\377');
  });
});
