// Biome does the formatting and the general lint. ESLint is here only for the type-aware
// promise rules: an unawaited verdant call is the main bug class of this library, and Biome
// cannot see through imports of the package itself.
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['dist/**', 'docs/**', 'node_modules/**', 'scratch/**'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's test()/describe() return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': [
        'error',
        { checksVoidReturn: { arguments: false, attributes: false } },
      ],
      '@typescript-eslint/await-thenable': 'error',
      // `return wait()` inside `using t = new Timeout(…)` or try/finally returns before the wait
      // settles: the Timeout is disposed (or the finally runs) first and never lands there.
      '@typescript-eslint/return-await': ['error', 'error-handling-correctness-only'],
    },
  },
  // The layering (test/architecture.test.ts holds these rules; here they show in editors).
  {
    files: ['src/**/*.ts'],
    ignores: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/_*', '**/core/context.js', '**/core/waiter.js'],
              message:
                "Outside core, import only core/lowlevel.js and core's public modules (see core/lowlevel.ts)",
            },
            {
              group: [
                '../compat/*',
                '../tools/*',
                '../../compat/*',
                '../../tools/*',
                './compat/*',
                './tools/*',
              ],
              message:
                'Nothing imports compat/ or tools/ except their own folder and the subpath entries',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/sync/*',
                '**/pool/*',
                '**/io/*',
                '**/servers/*',
                '**/process/*',
                '**/tools/*',
                '**/compat/*',
                '**/testing/*',
                '../index.js',
              ],
              message: 'core imports nothing outside core',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/sync/**/*.ts', 'src/pool/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/_*', '**/core/context.js', '**/core/waiter.js'],
              message:
                "Outside core, import only core/lowlevel.js and core's public modules (see core/lowlevel.ts)",
            },
            {
              group: ['**/io/*', '**/servers/*', '**/process/*', '**/compat/*', '**/tools/*'],
              message: 'sync and pool know no sockets, servers, processes, compat or tools',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/sync/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/core/_*', '**/core/context.js', '**/core/waiter.js'],
              message:
                "Outside core, import only core/lowlevel.js and core's public modules (see core/lowlevel.ts)",
            },
            {
              group: [
                '**/io/*',
                '**/servers/*',
                '**/process/*',
                '**/compat/*',
                '**/tools/*',
                '**/pool/*',
              ],
              message: 'sync knows no pool, sockets, servers, processes, compat or tools',
            },
          ],
        },
      ],
    },
  },
);
