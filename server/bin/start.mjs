#!/usr/bin/env node
// `npm start`: builds the console if needed, then serves it on PORT (default 3000).
// With DATABASE_URL unset it runs on the embedded database in FERRY_DATA_DIR (default ./.ferry-data).
import { spawn } from "node:child_process";
import path from "node:path";
import { ensureBuild } from "./ensure-build.mjs";

const root = process.cwd();
const port = process.env.PORT ?? "3000";
const hostname = process.env.HOSTNAME_BIND ?? "0.0.0.0";

ensureBuild(root);

const database = process.env.DATABASE_URL ? "PostgreSQL from DATABASE_URL" : `embedded PostgreSQL in ${path.resolve(process.env.FERRY_DATA_DIR ?? ".ferry-data")}`;
console.log(`\nFerry console: http://localhost:${port}  (database: ${database})\n`);

const child = spawn(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "start", "-p", port, "-H", hostname], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PORT: port, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
