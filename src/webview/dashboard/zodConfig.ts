/**
 * Imported first by main.ts, so it runs before any schema is built: the webview's CSP has no
 * 'unsafe-eval', and zod would otherwise probe for it with `new Function` (which the CSP reports
 * as a violation in the webview's console, even though zod catches it and parses without).
 */
import { z } from 'zod';

z.config({ jitless: true });
