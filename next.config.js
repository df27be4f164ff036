/** @type {import('next').NextConfig} */
const nextConfig = {
  // PGlite loads its WASM and data files from node_modules at run time; postgres.js and
  // bcryptjs are Node-only. Keep them out of the server bundle.
  serverExternalPackages: ["@electric-sql/pglite", "postgres", "bcryptjs"],
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
