#!/usr/bin/env node
// Runs the agent from its TypeScript sources; the console serves a bundled build for installs elsewhere.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
