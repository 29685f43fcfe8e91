/** Serves the built renderer from app://assistant/ with the strict CSP on every response. */
import { protocol } from 'electron';
import { readFile } from 'node:fs/promises';
import { APP_SCHEME, ASSISTANT_CSP, mimeTypeOf, resolveAssetPath } from '../assistant/app-assets.ts';

/** Must run before `app` is ready. Standard + secure like https (module scripts, storage); not CORS-enabled, so no other origin can read it. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false } }]);
}

export function serveRenderer(rendererDir: string): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = resolveAssetPath(rendererDir, request.url);
    if (!file) return new Response('Not found', { status: 404 });
    try {
      const body = await readFile(file);
      return new Response(body, {
        status: 200,
        headers: {
          'content-type': mimeTypeOf(file),
          'content-security-policy': ASSISTANT_CSP,
          'x-content-type-options': 'nosniff',
          'cache-control': 'no-store',
        },
      });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
}
