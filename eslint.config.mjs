// Type-aware linting: the typecheck itself runs first in `npm run lint` (tsc --noEmit).
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// One-way dependencies between the folders of src/ (README "Layout"): a folder imports only
// folders of a lower layer, never one of its own layer or above, so no two folders can import
// each other, directly or around a longer loop. functions/ sits above them all; scripts/ and
// test/ may import anything. Lowest layer first:
const LAYERS = [
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
const upwardZones = ['functions', 'scripts'].map((top) => ({
  target: 'src',
  from: top,
  message: `Folder layering: src/ must not import ${top}/, which sits above it (README "Layout").`,
}));

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
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: [...folderZones, ...upwardZones] }],
    },
  },
  {
    // Emulators, scripts and tests are programs meant to print.
    files: ['test/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
