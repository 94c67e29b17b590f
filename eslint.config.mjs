// Type-aware linting: the typecheck itself runs first in `npm run lint` (tsc --noEmit).
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// One-way dependencies between the folders of src/ (README "Layout"): a folder imports only
// folders of a lower layer, never one of its own layer or above, so no two folders can import
// each other, directly or around a longer loop. functions/ sits above them all (see topZones for
// the other top-level folders). Lowest layer first:
const LAYERS = [
  ['time'],
  ['errors'],
  ['config'],
  ['log', 'metrics'],
  ['ado', 'queue', 'storage', 'launchers'],
  ['scheduler', 'secrets', 'webhook', 'reconcile'],
  ['upkeep'],
  ['status'],
  ['dashboard'],
  ['runtime'],
];
const LAYERING = LAYERS.map((layer) => layer.join(', ')).join(' < ');
const layerOf = new Map(LAYERS.flatMap((layer, rank) => layer.map((folder) => [folder, rank])));
const folderZones = [...layerOf].flatMap(([folder, rank]) =>
  [...layerOf]
    .filter(([other, otherRank]) => other !== folder && otherRank >= rank)
    .map(([other]) => ({
      target: `src/${folder}`,
      from: `src/${other}`,
      message: `Folder layering: src/${folder}/ must not import src/${other}/, which is ${layerOf.get(other) === rank ? 'in the same layer' : 'in a higher layer'} (${LAYERING}), or the two folders could import each other in a cycle; move what both need down a layer (README "Layout").`,
    })),
);
// The top-level parts (README "Layout"): src/ is the scaler, functions/ its triggers, emulators/
// stand-ins for Azure and ADO that know nothing of the scaler, scripts/ the local host, CLI and
// bench, test/ the suites. What runs in Azure, the emulators and the scripts never import test/;
// tests beside the code they test (*.test.ts) may import emulators.
const part = (target, from, why) => ({ target, from, message: `${target.split('/')[0]}/ must not import ${from}/: ${why} (README "Layout").` });
const topZones = [
  ...['functions', 'scripts', 'emulators', 'test'].map((from) => part('src/**/!(*.test).ts', from, 'the scaler runs in Azure without them')),
  ...['scripts', 'emulators', 'test'].map((from) => part('functions', from, 'the function app runs in Azure without them')),
  part('scripts', 'test', '`npm start`, the bench and the CLI run from a build without the tests'),
  ...['src', 'functions', 'scripts', 'test'].map((from) =>
    part('emulators/**/!(*.test).ts', from, 'an emulator stands in for a service and knows nothing of the scaler or its tests'),
  ),
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.local/**', '*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    // Folder cycles (see LAYERS above). Paths resolve as tsc does: './x.js' is ./x.ts. An import
    // the resolver cannot find is skipped by this rule, but tsc, run first, refuses those.
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.mts', '.js', '.mjs', '.json'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [...folderZones, ...topZones] }],
    },
  },
  {
    // Emulators, scripts and tests are programs meant to print.
    files: ['test/**', 'scripts/**', 'emulators/**'],
    rules: { 'no-console': 'off' },
  },
);
