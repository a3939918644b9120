// The dashboard is a static export embedded in the Jarvis binary. In
// development, `next dev` forwards the API paths to a running Jarvis.
import { PHASE_DEVELOPMENT_SERVER } from 'next/constants.js';
import { sourceHash } from './scripts/source-hash.mjs';

/** API paths of the Jarvis server, forwarded by `next dev`. */
const apiPaths = [
  '/health', '/me', '/openapi.json',
  '/auth/:path*',
  '/gmail/:path*',
  '/calendar/:path+',
  '/chat', '/chat/:path*',
  '/conversations', '/conversations/:path*',
  '/orgs/:path*',
];

export default async function config(phase) {
  if (phase === PHASE_DEVELOPMENT_SERVER) {
    const target = (process.env.JARVIS_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
    return {
      reactStrictMode: true,
      async rewrites() {
        return { beforeFiles: apiPaths.map((source) => ({ source, destination: `${target}${source}` })) };
      },
    };
  }
  // Building the same sources twice gives the same build id, so a re-export
  // without changes leaves the committed files alone.
  const hash = await sourceHash();
  return {
    output: 'export',
    reactStrictMode: true,
    poweredByHeader: false,
    productionBrowserSourceMaps: false,
    images: { unoptimized: true },
    generateBuildId: async () => hash.slice(0, 20),
  };
}
