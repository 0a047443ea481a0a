import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

const prismaDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * The Prisma CLI config shared by every service (each `prisma/<service>/prisma.config.ts` calls this).
 *
 * Prisma 7's CLI downloads a native schema engine before most commands, and this project must work with no
 * network. Pointing PRISMA_SCHEMA_ENGINE_BINARY at our stand-in skips that download, so `prisma generate`
 * works offline; migrations go through `npm run db:*`, which runs Prisma's WebAssembly schema engine. Anyone
 * with the native engine can set PRISMA_SCHEMA_ENGINE_BINARY themselves and use the whole Prisma CLI.
 */
export function serviceConfig(folder: URL) {
  const service = path.basename(fileURLToPath(folder));
  const standIn = path.join(prismaDir, 'offline-schema-engine');
  if (!process.env.PRISMA_SCHEMA_ENGINE_BINARY && existsSync(standIn)) {
    process.env.PRISMA_SCHEMA_ENGINE_BINARY = standIn;
  }
  const url = process.env[`${service.toUpperCase().replace(/\W/g, '_')}_DATABASE_URL`];
  return defineConfig({
    schema: path.join(prismaDir, service, 'schema.prisma'),
    migrations: { path: path.join(prismaDir, service, 'migrations') },
    ...(url?.startsWith('postgres') ? { datasource: { url } } : {}),
  });
}
