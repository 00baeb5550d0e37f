// The UI bridge: a loopback HTTP server through which tests running inside the extension host
// look at the workbench the way a person does (toasts, status bar, palette, clipboard, webviews),
// by driving the Playwright page that shows it. test/integration/bridge.ts is its client.
import { createServer } from 'node:http';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

const NOTIFICATION_ITEMS = '.notifications-toasts .notification-list-item, .notifications-center .notification-list-item';
const BUTTONS = '.notification-list-item-buttons-container .monaco-button';
const MAX_BODY = 1 << 20;

class BridgeError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
function exactText(s) {
  return new RegExp(`^\\s*${escapeRegExp(s)}\\s*$`);
}
function requireString(body, key) {
  if (typeof body[key] !== 'string' || body[key] === '') throw new BridgeError(400, `"${key}" must be a non-empty string`);
  return body[key];
}

/**
 * @param {{ page: () => Promise<import('playwright-core').Page>, resultsDir: string, log?: (s: string) => void }} opts
 * `page` resolves once the workbench page exists (the runner may attach to it late);
 * `onDone` receives the suite's exit code from the test harness extension.
 */
export async function startUiBridge({ page: getPage, resultsDir, onDone = () => {}, log = () => {} }) {
  // One page operation at a time: typing into the palette must not interleave with a click.
  let queue = Promise.resolve();
  const serial = (fn) => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => {});
    return next;
  };

  async function visibleNotifications(page) {
    return page.evaluate(
      ({ items, buttons }) => {
        const shown = (el) => el.getClientRects().length > 0;
        return [...document.querySelectorAll(items)].filter(shown).map((el) => {
          const icon = el.querySelector('.notification-list-item-icon');
          const cls = icon ? icon.className : '';
          const severity = /codicon-error/.test(cls) ? 'error' : /codicon-warning/.test(cls) ? 'warning' : 'info';
          return {
            message: (el.querySelector('.notification-list-item-message')?.innerText ?? '').trim(),
            severity,
            source: (el.querySelector('.notification-list-item-source')?.innerText ?? '').trim(),
            actions: [...el.querySelectorAll(buttons)]
              .filter(shown)
              .map((b) => b.innerText.trim())
              .filter(Boolean),
            where: el.closest('.notifications-toasts') ? 'toast' : 'center',
            progress: !!el.querySelector('.monaco-progress-container.active'),
          };
        });
      },
      { items: NOTIFICATION_ITEMS, buttons: BUTTONS },
    );
  }

  async function framesMatching(page, frameContains) {
    const out = [];
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if (frameContains) {
          const text = await frame.evaluate(() => document.body?.innerText ?? '');
          if (!text.includes(frameContains)) continue;
        }
        out.push(frame);
      } catch {
        /* a frame that is navigating or gone */
      }
    }
    return out;
  }

  async function firstWebviewLocator(page, selector, frameContains) {
    for (const frame of await framesMatching(page, frameContains)) {
      const loc = frame.locator(selector).first();
      if (await loc.count().catch(() => 0)) return loc;
    }
    throw new BridgeError(
      404,
      `no webview element matches ${JSON.stringify(selector)}${frameContains ? ` in a webview containing ${JSON.stringify(frameContains)}` : ''}`,
    );
  }

  const routes = {
    'GET /health': async (page) => ({ ok: true, url: page.url() }),

    'POST /done': async (_page, body) => {
      if (typeof body.code !== 'number') throw new BridgeError(400, '"code" must be a number');
      onDone(body.code);
      return { ok: true };
    },

    'GET /notifications': (page) => visibleNotifications(page),

    'POST /notifications/click': async (page, body) => {
      const label = requireString(body, 'label');
      let items = page.locator(NOTIFICATION_ITEMS);
      if (typeof body.message === 'string') items = items.filter({ hasText: body.message });
      const button = items
        .locator(BUTTONS)
        .filter({ hasText: exactText(label) })
        .first();
      if (!(await button.count())) {
        const seen = await visibleNotifications(page);
        throw new BridgeError(404, `no visible notification has a button ${JSON.stringify(label)}; visible: ${JSON.stringify(seen)}`);
      }
      await button.click({ timeout: 5_000 });
      return { clicked: label };
    },

    'GET /statusbar': (page) =>
      page.evaluate(() =>
        [...document.querySelectorAll('.statusbar-item')]
          .filter((el) => el.getClientRects().length > 0)
          .map((el) => {
            const label = el.querySelector('.statusbar-item-label');
            return {
              id: el.id,
              text: (label?.innerText ?? el.innerText ?? '').trim(),
              ariaLabel: label?.getAttribute('aria-label') ?? el.getAttribute('aria-label') ?? '',
              // The workbench marks an item without a command as disabled (no pointer, no click).
              hasCommand: !!label && !label.classList.contains('disabled'),
              backgroundColor: getComputedStyle(el).backgroundColor,
            };
          }),
      ),

    // Tooltips render only on hover, as a person sees them.
    'POST /statusbar/hover': async (page, body) => {
      const item = await statusBarItem(page, body);
      await page.mouse.move(0, 0);
      await item.hover({ timeout: 5_000 });
      const hover = page.locator('.workbench-hover, .monaco-hover').filter({ visible: true }).first();
      await hover.waitFor({ timeout: 5_000 });
      return { tooltip: (await hover.innerText()).trim() };
    },

    'POST /statusbar/click': async (page, body) => {
      const item = await statusBarItem(page, body);
      await item.locator('.statusbar-item-label').first().click({ timeout: 5_000 });
      return { clicked: true };
    },

    'GET /clipboard': async (page) => {
      await page.bringToFront();
      return { text: await page.evaluate(() => navigator.clipboard.readText()) };
    },

    'POST /screenshot': async (page, body) => {
      const name = requireString(body, 'name')
        .replace(/[^A-Za-z0-9._-]+/g, '_')
        .slice(0, 120);
      const dir = join(resultsDir, 'screenshots');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, `${name}.png`);
      await page.screenshot({ path });
      return { path };
    },

    // Runs a command the way a person does, so it also proves the palette lists it;
    // with run: false it only checks the listing.
    'POST /palette': async (page, body) => {
      const title = requireString(body, 'title');
      const timeoutMs = Number(body.timeoutMs ?? 10_000);
      await page.keyboard.press('Escape');
      await page.keyboard.press('F1');
      const input = page.locator('.quick-input-widget input.input').first();
      await input.waitFor({ state: 'visible', timeout: 5_000 });
      await input.fill(`>${title}`);
      const deadline = Date.now() + timeoutMs;
      let labels;
      for (;;) {
        labels = await page.evaluate(() =>
          [...document.querySelectorAll('.quick-input-list .monaco-list-row')].map((row) =>
            (row.querySelector('.label-name')?.innerText ?? '').trim(),
          ),
        );
        const index = labels.indexOf(title);
        if (index >= 0) {
          if (body.run === false) {
            await page.keyboard.press('Escape');
            return { listed: title };
          }
          await page.locator('.quick-input-list .monaco-list-row').nth(index).click({ timeout: 5_000 });
          return { ran: title };
        }
        if (Date.now() > deadline) break;
        await page.waitForTimeout(100);
      }
      await page.keyboard.press('Escape');
      throw new BridgeError(
        404,
        `the command palette lists no command titled ${JSON.stringify(title)}; it offered ${JSON.stringify(labels)}`,
      );
    },

    'POST /keys': async (page, body) => {
      if (!Array.isArray(body.keys) || !body.keys.every((k) => typeof k === 'string'))
        throw new BridgeError(400, '"keys" must be an array of key names such as "Escape" or "Control+Shift+P"');
      for (const k of body.keys) await page.keyboard.press(k);
      return { pressed: body.keys };
    },

    'POST /type': async (page, body) => {
      await page.keyboard.type(requireString(body, 'text'), { delay: 5 });
      return { typed: true };
    },

    'POST /query': async (page, body) => {
      const selector = requireString(body, 'selector');
      return page.locator(selector).evaluateAll((els) => els.map((el) => el.innerText ?? el.textContent ?? ''));
    },

    'POST /click': async (page, body) => {
      let loc = page.locator(requireString(body, 'selector'));
      if (typeof body.text === 'string') loc = loc.filter({ hasText: body.text });
      await loc.first().click({ timeout: 5_000 });
      return { clicked: true };
    },

    // Webviews are iframes inside iframes; frameContains picks the one showing that text.
    'POST /webview/query': async (page, body) => {
      const selector = requireString(body, 'selector');
      const texts = [];
      for (const frame of await framesMatching(page, body.frameContains)) {
        texts.push(
          ...(await frame
            .locator(selector)
            .evaluateAll((els) => els.map((el) => el.innerText ?? el.textContent ?? ''))
            .catch(() => [])),
        );
      }
      return texts;
    },

    'POST /webview/click': async (page, body) => {
      const loc = await firstWebviewLocator(page, requireString(body, 'selector'), body.frameContains);
      await loc.click({ timeout: 5_000 });
      return { clicked: true };
    },

    'POST /webview/fill': async (page, body) => {
      const loc = await firstWebviewLocator(page, requireString(body, 'selector'), body.frameContains);
      if (typeof body.value !== 'string') throw new BridgeError(400, '"value" must be a string');
      await loc.fill(body.value, { timeout: 5_000 });
      return { filled: true };
    },
  };

  async function statusBarItem(page, body) {
    const match = requireString(body, 'match');
    const byId = page.locator(`.statusbar-item[id="${match.replace(/"/g, '\\"')}"]`);
    if (await byId.count()) return byId.first();
    const byText = page.locator('.statusbar-item').filter({ hasText: match });
    if (await byText.count()) return byText.first();
    throw new BridgeError(404, `no status bar item has the id or text ${JSON.stringify(match)}`);
  }

  const server = createServer((req, res) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', async () => {
      const key = `${req.method} ${new URL(req.url, 'http://x').pathname}`;
      const reply = (status, value) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      try {
        const route = routes[key];
        if (!route) throw new BridgeError(404, `unknown bridge route ${key}; known: ${Object.keys(routes).join(', ')}`);
        if (size > MAX_BODY) throw new BridgeError(413, 'request body over 1 MiB');
        let body = {};
        if (chunks.length) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            throw new BridgeError(400, 'request body is not JSON');
          }
        }
        const result = await serial(async () => route(await getPage(), body));
        reply(200, result);
      } catch (err) {
        log(`[ui-bridge] ${key} failed: ${err.message}`);
        reply(err instanceof BridgeError ? err.status : 500, { error: err.message.split('\n')[0].slice(0, 4000) });
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections?.();
        server.close(() => r());
      }),
  };
}
