import { describe, expect, it } from 'vitest';
import { loadTypeScriptConfig } from './ts-loader.js';

describe('loadTypeScriptConfig', () => {
  it('says what to install when neither Node nor a typescript package can load the file', async () => {
    const error = await loadTypeScriptConfig('/p/.werfrunrc.ts', 'export default {}', {
      nativeTypeScript: false,
      findCompiler: async () => undefined,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 2, message: expect.stringContaining('/p/.werfrunrc.ts is a TypeScript config') });
    expect((error as { remedy: string }).remedy).toMatch(/npm install -D typescript.*\.json or \.yaml/);
  });
});
