// ESLint flat config. Besides code quality it enforces the layering of ARCHITECTURE.md: only main/electron/ may
// import 'electron', the contract stays pure, the renderer sees main/ only through contract types, and the layers of
// main/ only import downwards.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import simpleImportSort from 'eslint-plugin-simple-import-sort';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'net', 'url', 'stream'];

/** Layers of main/, lowest first. A layer may import only layers listed before it (and itself). */
const mainLayers = [
  ['contract'],
  ['util'],
  ['kube', 'sources', 'kustomize', 'helm', 'images'],
  ['engine'],
  ['controllers', 'notify'],
  ['create-fluxdeck'],
  ['api', 'cli', 'headless', 'electron'],
];

function forbiddenAbove(layerIndex) {
  return mainLayers.slice(layerIndex + 1).flat();
}

/** no-restricted-imports patterns that stop a folder of main/ importing upward. */
function layerRules() {
  return mainLayers.flatMap((layer, i) =>
    layer.map((folder) => {
      const banned = forbiddenAbove(i).filter((f) => f !== folder);
      // The libraries of one layer are independent of each other; they share code through main/util.
      const siblings = layer.filter((f) => f !== folder && i === 2);
      return {
        files: [`main/${folder}/**/*.ts`, ...(folder === 'create-fluxdeck' ? ['main/create-fluxdeck.ts'] : [])],
        rules: {
          'no-restricted-imports': [
            'error',
            {
              paths:
                folder === 'electron'
                  ? []
                  : [{ name: 'electron', message: 'Only main/electron/ may import electron.' }],
              patterns: [
                ...banned.map((f) => ({
                  group: [
                    `**/main/${f}`,
                    `**/main/${f}/**`,
                    `../${f}/**`,
                    `../../${f}/**`,
                    `../${f}`,
                    `../../${f}`,
                    `../${f}.ts`,
                    `../../${f}.ts`,
                  ],
                  message: `main/${folder} must not import main/${f}: dependencies point down (ARCHITECTURE.md rule 0).`,
                })),
                ...siblings.map((f) => ({
                  group: [`../${f}/**`, `../../${f}/**`],
                  message: `main/${folder} and main/${f} are independent libraries; share code through main/util.`,
                })),
              ],
            },
          ],
        },
      };
    }),
  );
}

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'test-results/**',
      'test/fixtures/**',
      'test/cluster/go/**',
      '**/*.d.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'simple-import-sort': simpleImportSort },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unnecessary-condition': ['error', { allowConstantLoopConditions: true }],
      '@typescript-eslint/no-confusing-void-expression': 'off',
      eqeqeq: ['error', 'always'],
      'simple-import-sort/imports': 'error',
      'simple-import-sort/exports': 'error',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    files: ['main/**/*.ts', 'preload/**/*.ts'],
    rules: {
      '@typescript-eslint/explicit-function-return-type': [
        'error',
        { allowExpressions: true, allowTypedFunctionExpressions: true },
      ],
      'no-console': 'error',
    },
  },
  {
    files: ['main/controllers/**/*.ts'],
    rules: { complexity: ['error', 12], 'max-depth': ['error', 3], 'max-params': ['error', 4] },
  },
  ...layerRules(),
  {
    files: ['main/contract/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'main/contract is shared with the renderer: no Node built-ins.' },
            { group: ['electron', 'react', '../*', '!./*'], message: 'main/contract imports only zod and itself.' },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../main/*', '!../main/contract', '../main/*/**', '!../main/contract/**'],
              message: 'preload may import only electron and main/contract.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer talks to main only through the transport.' }],
          patterns: [{ group: nodeBuiltins, message: 'The renderer runs in a browser sandbox: no Node built-ins.' }],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '!**/main/contract', '!**/main/contract/**'],
              message: 'The renderer may import from main/ only main/contract.',
            },
            {
              group: ['**/main/contract', '**/main/contract/**'],
              allowTypeImports: true,
              message: 'The renderer imports only types from main/contract (values stay in main and preload).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'test/**/*.tsx', 'bench/**/*.ts', '*.config.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Typed JSON helpers in tests take the expected shape as a type argument.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
    },
  },
);
