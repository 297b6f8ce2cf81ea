import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const eslint = new ESLint({ cwd: root });

/** The restricted-import messages ESLint reports for `code` as if it were the file at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe("auth's module boundaries, enforced by `pnpm lint`", () => {
  it('let a feature import core and itself', async () => {
    const code = "import { coreErrors } from '../../core/errors/core.errors';\nimport { mfaErrors } from './mfa.errors';\nexport const used = [coreErrors, mfaErrors];\n";
    expect(await violations('services/auth/src/features/mfa/fixture.ts', code)).toEqual([]);
  });

  it('refuse a feature importing another feature, or the composition root', async () => {
    const sibling = "import { mfaErrors } from '../mfa/mfa.errors';\nexport const used = mfaErrors;\n";
    expect(await violations('services/auth/src/features/passwords/fixture.ts', sibling)).toEqual([expect.stringContaining('A feature imports only core and itself')]);
    const root = "import { loadAuthConfig } from '../../config';\nexport const used = loadAuthConfig;\n";
    expect(await violations('services/auth/src/features/passwords/fixture.ts', root)).toEqual([expect.stringContaining('A feature imports only core and itself')]);
  });

  it('refuse core importing a feature', async () => {
    const code = "import { createMfaModule } from '../features/mfa/mfa.module';\nexport const used = createMfaModule;\n";
    expect(await violations('services/auth/src/core/fixture.ts', code)).toEqual([expect.stringContaining('core/ imports no feature')]);
  });

  it('refuse a use case (*.service.ts) importing express or drizzle, in core and in features alike', async () => {
    const code = "import { Router } from 'express';\nimport { eq } from 'drizzle-orm';\nimport { pgTable } from 'drizzle-orm/pg-core';\nexport const used = [Router, eq, pgTable];\n";
    for (const path of ['services/auth/src/features/mfa/fixture.service.ts', 'services/auth/src/core/sessions/fixture.service.ts']) {
      expect(await violations(path, code)).toHaveLength(3);
    }
    // Routes and repositories may: that is their job.
    expect(await violations('services/auth/src/features/mfa/fixture.routes.ts', code)).toEqual([]);
  });

  it('hold for the code as it is: the whole auth service lints clean', async () => {
    const results = await eslint.lintFiles(['services/auth/src']);
    expect(results.flatMap((result) => result.messages.map((m) => `${result.filePath}:${m.line} ${m.message}`))).toEqual([]);
  });
});
