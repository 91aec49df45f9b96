import { describe, expect, it } from 'vitest';
import { contextDirName, contextMetaFile, contextTlsDir } from './context-store.js';

describe('the docker context store layout', () => {
  it('names a context directory by the sha256 of the context name', () => {
    // FIPS 180-2 test vector: sha256("abc").
    expect(contextDirName('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  it('puts meta.json under contexts/meta and TLS material under contexts/tls/<hash>/docker', () => {
    const hash = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(contextMetaFile('/home/u/.docker', 'abc')).toBe(`/home/u/.docker/contexts/meta/${hash}/meta.json`);
    expect(contextTlsDir('/home/u/.docker', 'abc')).toBe(`/home/u/.docker/contexts/tls/${hash}/docker`);
  });
});
