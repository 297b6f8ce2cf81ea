import { defineConfig } from 'tsup';

// Services ship as one ESM bundle each; workspace packages are bundled in (they are consumed
// from source), npm dependencies stay external and come from node_modules.
export default defineConfig({
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  outDir: 'dist',
  clean: true,
  splitting: false,
  sourcemap: true,
  noExternal: [/^@malet\//],
  // Dependencies of workspace packages are bundled too; the CommonJS ones among them call
  // `require`, which an ES module lacks until it is created here.
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
});
