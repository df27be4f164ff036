#!/usr/bin/env node
/**
 * Builds the agent as the one self-contained ES module the console serves (`node agent/build.mjs
 * OUTFILE`), with esbuild.
 *
 * The file transfer's worker threads (the sender's walker, the receiver's writer and its helper)
 * would otherwise start from that whole file: 2.4 MB to compile on every thread, about 0.1 s of
 * CPU each time. Each of them is also bundled on its own and embedded in the agent as a string
 * (FERRY_WORKER_BUNDLES), which start-worker.ts writes once into the agent's cache and starts
 * from there: a worker compiles about a tenth of the code.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const AGENT_DIR = path.dirname(fileURLToPath(import.meta.url));

/** Worker roles started from their own bundle (start-worker.ts), by their modules. */
export const WORKER_BUNDLE_ENTRIES = {
  walk: "src/transfer/files/walk-worker.ts",
  write: "src/transfer/files/write-worker.ts",
  "write-helper": "src/transfer/files/write-helper.ts",
};

/**
 * zod names its messages in some 50 languages, all in one module the agent never asks for (its
 * errors are English): bundled, they were a third of the agent, which every command compiles at
 * start. Only English is kept.
 */
const ZOD_ENGLISH_ONLY = {
  name: "zod-english-only",
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: path.join(path.dirname(args.importer), "../locales/en.js") } : undefined,
    );
  },
};

const COMMON = { bundle: true, platform: "node", target: "node20", format: "esm", logLevel: "warning", plugins: [ZOD_ENGLISH_ONLY] };

/** Bundled CommonJS code may call require(); ES modules have none of their own. */
const REQUIRE_BANNER = "import { createRequire as __ferryCreateRequire } from 'node:module'; const require = __ferryCreateRequire(import.meta.url);";

export async function buildAgentBundle(outfile) {
  const workers = {};
  for (const [role, entry] of Object.entries(WORKER_BUNDLE_ENTRIES)) {
    const built = await esbuild.build({
      ...COMMON,
      entryPoints: [path.join(AGENT_DIR, entry)],
      write: false,
      banner: { js: REQUIRE_BANNER },
    });
    workers[role] = built.outputFiles[0].text;
  }
  await esbuild.build({
    ...COMMON,
    entryPoints: [path.join(AGENT_DIR, "src/cli.ts")],
    outfile,
    banner: { js: `#!/usr/bin/env node\n${REQUIRE_BANNER}` },
    define: { FERRY_WORKER_BUNDLES: JSON.stringify(workers) },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outfile = process.argv[2];
  if (!outfile) {
    process.stderr.write("usage: node agent/build.mjs OUTFILE\n");
    process.exit(2);
  }
  await buildAgentBundle(path.resolve(outfile));
}
