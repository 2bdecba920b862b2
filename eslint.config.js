// Lint: typescript-eslint's recommended rules, plus the dependency direction of
// ../shared/ARCHITECTURE.md enforced as import restrictions (an arrow back up is a design error).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const layer = (files, forbidden) => ({
  files,
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: forbidden.map((dir) => ({
          group: [`**/${dir}/**`, `../${dir}/*`, `../../${dir}/*`, `../../../${dir}/*`],
          message: `ARCHITECTURE.md: this layer must not import from ${dir}/`,
        })),
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'reports/', '.stryker-tmp/', 'out/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly',
        process: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        performance: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  layer(['spec/**/*.ts'], ['impl', 'proofs', 'traces', 'api', 'cli']),
  layer(['impl/**/*.ts'], ['proofs', 'traces', 'api', 'cli']),
  layer(['proofs/**/*.ts'], ['impl', 'traces', 'api', 'cli']),
  layer(['traces/**/*.ts'], ['proofs', 'api', 'cli']),
  // api/: the library's task functions (check, model checking with traces, replay, mutants) and
  // public entry points; it may use every layer but the command line (docs/adr/011-library.md).
  layer(['api/**/*.ts'], ['cli']),
  // examples/ are user code: they import the public entry points (`sddf-model/mc`…), never the
  // folders behind them (docs/writing-a-model.md).
  layer(['examples/**/*.ts'], ['spec', 'impl', 'proofs', 'traces', 'api', 'cli']),
);
