// Builds the reference checkout for production (minified, no source maps) into dist/,
// with each file also precompressed as brotli at its best level, as the shop's assets are.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { brotliCompressSync, constants } from "node:zlib";

const dist = new URL("./dist/", import.meta.url);
mkdirSync(dist, { recursive: true });
await build({
  entryPoints: { app: "src/main.jsx" },
  bundle: true,
  minify: true,
  format: "esm",
  target: "es2020",
  jsx: "automatic",
  define: { "process.env.NODE_ENV": '"production"' },
  outdir: dist.pathname,
  logLevel: "warning",
});
writeFileSync(new URL("app.css", dist), readFileSync(new URL("./src/app.css", import.meta.url)));
for (const file of ["app.js", "app.css"]) {
  const raw = readFileSync(new URL(file, dist));
  const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
  writeFileSync(new URL(`${file}.br`, dist), br);
  console.log(`${file}: ${raw.length} B raw, ${br.length} B brotli`);
}
