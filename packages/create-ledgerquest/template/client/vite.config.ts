/**
 * The browser client's dev server (`npm run client`). The page asks its own origin for
 * `/config.json` (where the WebSocket API is) and `/api/token?player=<id>` (a dev token); this
 * server passes both to the dashboard server that `npm start` runs, at 127.0.0.1:5173 unless
 * LEDGERQUEST_DASHBOARD names the URL that `npm start` printed.
 */
import { defineConfig } from "vite";

const dashboard = process.env.LEDGERQUEST_DASHBOARD ?? "http://127.0.0.1:5173";

export default defineConfig({
  clearScreen: false,
  server: {
    // 5173 is the dashboard's.
    port: 5174,
    proxy: {
      // The dashboard answers tokens only to requests addressed to itself: `changeOrigin` says so.
      "/config.json": { target: dashboard, changeOrigin: true },
      "/api": { target: dashboard, changeOrigin: true },
    },
  },
});
