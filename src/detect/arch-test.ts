/**
 * Tiny test programs for the probe's cross-architecture check (pure). Whether
 * the daemon's host runs a foreign architecture's programs in a container is
 * decided by its kernel's binfmt_misc handlers, but a container cannot read
 * them: /proc/sys/fs/binfmt_misc is a separate mount that Docker does not
 * give containers (on the rig's engine it is an empty directory), and
 * mounting it needs CAP_SYS_ADMIN on the host. So the probe does what a RUN
 * step will do: it execs a 132-byte static ELF program of each architecture
 * that calls exit(42). It runs only where a handler is registered with the F
 * flag (the interpreter opened at registration, as `qemu-user-static --reset
 * -p yes` does), which is also what buildah's RUN in a chroot of the image
 * needs; a handler without F fails there as here. The host's own architecture
 * is the control: when its program does not run either, nothing is concluded.
 *
 * Hand-assembled rather than built with a toolchain (none in the project for
 * foreign architectures): ELF64 header, one PT_LOAD program header, 12 bytes
 * of code (kernel uapi: exit is syscall 60 on x86_64, 93 on arm64). Checked
 * with Debian's qemu-user (qemu-aarch64 ./prog; echo $? -> 42).
 */

/** What each test program exits with when it ran. */
export const ARCH_TEST_EXIT = 42;

const CODE: Record<string, { machine: number; code: number[] }> = {
  // mov edi, 42; mov eax, 60; syscall
  amd64: { machine: 0x3e, code: [0xbf, 42, 0, 0, 0, 0xb8, 60, 0, 0, 0, 0x0f, 0x05] },
  // movz x0, #42; movz x8, #93; svc #0 (little-endian words d2800540, d2800ba8, d4000001)
  arm64: { machine: 0xb7, code: [0x40, 0x05, 0x80, 0xd2, 0xa8, 0x0b, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4] },
};

/** The architectures (GOARCH) the probe tests: those werf's images are built for. */
export const TESTED_ARCHITECTURES: readonly string[] = Object.keys(CODE);

const BASE = 0x400000;
const HEADER = 64;
const PHDR = 56;

/** The test program for a GOARCH, or undefined when the probe has none for it. */
export function archTestProgram(arch: string): Buffer | undefined {
  const spec = CODE[arch];
  if (!spec) return undefined;
  const size = HEADER + PHDR + spec.code.length;
  const b = Buffer.alloc(size);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // ELF, 64-bit, little-endian, version 1, System V ABI
  b.writeUInt16LE(2, 16); // ET_EXEC
  b.writeUInt16LE(spec.machine, 18);
  b.writeUInt32LE(1, 20);
  b.writeBigUInt64LE(BigInt(BASE + HEADER + PHDR), 24); // entry: the code after the headers
  b.writeBigUInt64LE(BigInt(HEADER), 32); // program headers right after this header
  b.writeUInt16LE(HEADER, 52);
  b.writeUInt16LE(PHDR, 54);
  b.writeUInt16LE(1, 56);
  const p = HEADER;
  b.writeUInt32LE(1, p); // PT_LOAD
  b.writeUInt32LE(5, p + 4); // R+X
  b.writeBigUInt64LE(0n, p + 8); // the whole file from offset 0
  b.writeBigUInt64LE(BigInt(BASE), p + 16);
  b.writeBigUInt64LE(BigInt(BASE), p + 24);
  b.writeBigUInt64LE(BigInt(size), p + 32);
  b.writeBigUInt64LE(BigInt(size), p + 40);
  b.writeBigUInt64LE(0x10000n, p + 48); // 64 KiB: valid for 4K, 16K and 64K pages
  b.set(spec.code, HEADER + PHDR);
  return b;
}

/** A printf(1) format that writes the bytes (octal escapes only: POSIX printf, busybox and dash alike). */
export function printfOctal(bytes: Buffer): string {
  return [...bytes].map((x) => `\\${x.toString(8).padStart(3, '0')}`).join('');
}
