import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Auth's architecture (docs/contributing.md), which SCIM shares: `core/` imports no feature, a
 * feature imports only core and itself, and a use case (`*.service.ts`) never touches HTTP or the
 * database directly. Imports are relative, so the rules match import strings.
 */
const AUTH = 'services/{auth,scim}/src';
const featureImportsOnlyCoreAndItself = [
  { regex: '^\\.\\./(?!\\.\\./)', message: 'A feature imports only core and itself: another feature is `../<feature>`.' },
  { regex: '^\\.\\./\\.\\./(?!core/|\\.\\./package\\.json$)', message: 'A feature imports only core and itself (not app.ts, config.ts or other top-level modules).' },
  { regex: '(^|/)features/', message: 'A feature imports only core and itself.' },
];
const coreImportsNoFeature = [
  { regex: '(^|/)features(/|$)', message: 'core/ imports no feature: features plug into core through their module (core/module.ts).' },
  { regex: '^(\\.\\./)+(app|config)$', message: 'core/ does not import the composition root.' },
];
const serviceTouchesNoFrameworks = {
  paths: [
    { name: 'express', message: 'A use case never imports express: routes translate HTTP into calls to it.' },
    { name: 'drizzle-orm', message: 'A use case never imports drizzle: repositories talk to the database.' },
  ],
  patterns: [{ group: ['express/*', 'drizzle-orm/*'], message: 'A use case never imports express or drizzle.' }],
};
const restrict = (patterns, extra = { paths: [], patterns: [] }) => ({
  'no-restricted-imports': ['error', { paths: extra.paths, patterns: [...patterns, ...extra.patterns] }],
});

/** The browser APIs the hosted pages' scripts (plain ES modules served to browsers) may use. */
const hostedPageGlobals = Object.fromEntries(
  ['window', 'document', 'navigator', 'fetch', 'sessionStorage', 'history', 'atob', 'btoa', 'AbortController', 'PublicKeyCredential', 'CSS', 'URLSearchParams'].map((name) => [
    name,
    'readonly',
  ]),
);

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/.data/**', '**/drizzle/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  // Later blocks replace the rule for the files they match, so each combination is spelled out.
  { files: [`${AUTH}/features/hosted-pages/assets/*.js`], languageOptions: { sourceType: 'module', globals: hostedPageGlobals } },
  { files: ['services/*/src/**/*.service.ts'], rules: restrict([], serviceTouchesNoFrameworks) },
  { files: [`${AUTH}/core/**/*.ts`], rules: restrict(coreImportsNoFeature) },
  { files: [`${AUTH}/core/**/*.service.ts`], rules: restrict(coreImportsNoFeature, serviceTouchesNoFrameworks) },
  { files: [`${AUTH}/features/**/*.ts`], rules: restrict(featureImportsOnlyCoreAndItself) },
  { files: [`${AUTH}/features/**/*.service.ts`], rules: restrict(featureImportsOnlyCoreAndItself, serviceTouchesNoFrameworks) },
);
