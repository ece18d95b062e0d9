// The playground's build: one self-contained index.html (script and styles inlined), so the page works
// from file:// and from any static host with no network at run time.
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/** Inlines the built script and stylesheet into index.html and drops the separate files. */
function inlineEverything(): Plugin {
  return {
    name: 'vnic-inline-everything',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const html = Object.values(bundle).find((f) => f.type === 'asset' && f.fileName === 'index.html');
      if (html === undefined || html.type !== 'asset') return;
      let text = String(html.source);
      for (const [name, f] of Object.entries(bundle)) {
        if (f.type === 'chunk' && f.isEntry) {
          const code = f.code.replace(/<\/script/gi, '<\\/script');
          text = text.replace(
            new RegExp(`<script type="module" crossorigin src="[^"]*${escapeRegExp(name)}"></script>`),
            () => `<script type="module">${code}</script>`,
          );
          delete bundle[name];
        } else if (f.type === 'asset' && name.endsWith('.css')) {
          const css = String(f.source).replace(/<\/style/gi, '<\\/style');
          text = text.replace(
            new RegExp(`<link rel="stylesheet" crossorigin href="[^"]*${escapeRegExp(name)}">`),
            () => `<style>${css}</style>`,
          );
          delete bundle[name];
        }
      }
      if (/<script[^>]+src=|<link[^>]+stylesheet/.test(text))
        throw new Error('playground build: a script or stylesheet was left outside index.html');
      html.source = text;
    },
  };
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  resolve: {
    alias: {
      'node:fs': fileURLToPath(new URL('node-fs.ts', import.meta.url)),
      'node:worker_threads': fileURLToPath(new URL('node-worker-threads.ts', import.meta.url)),
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: Number.MAX_SAFE_INTEGER,
    modulePreload: false,
    chunkSizeWarningLimit: 4096,
  },
  server: { host: '127.0.0.1', port: 5178 },
  plugins: [inlineEverything()],
});
