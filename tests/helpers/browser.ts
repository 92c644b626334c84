import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (scripts/setup.sh installs it); playwright never downloads a browser here. */
export const CHROMIUM_PATH = process.env.VOC_CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Records when each transcript line ([data-line]) and alert ([data-alert-id]) first appears in the
 * DOM (Date.now(), the same clock as the test process), in window.__seen. Installed before any page
 * script, so it survives reloads (a reload starts a fresh record).
 */
export async function recordAppearances(page: Page): Promise<void> {
  // Page code as a string: the test project compiles without the DOM library.
  await page.addInitScript({
    content: `(() => {
      const seen = {};
      window.__seen = seen;
      const scan = () => {
        const now = Date.now();
        for (const el of document.querySelectorAll('[data-line],[data-alert-id]')) {
          const key = el.getAttribute('data-line') ?? 'alert:' + el.getAttribute('data-alert-id');
          if (!(key in seen)) seen[key] = now;
        }
      };
      new MutationObserver(scan).observe(document, { subtree: true, childList: true });
    })()`,
  });
}

export async function appearances(page: Page): Promise<Record<string, number>> {
  return (await page.evaluate('window.__seen')) as Record<string, number>;
}

/** The focused element's attribute (or its text with `text`). */
export async function focused(page: Page, attribute: string | 'text'): Promise<string> {
  const expression = attribute === 'text' ? 'document.activeElement?.textContent' : `document.activeElement?.getAttribute(${JSON.stringify(attribute)})`;
  return String((await page.evaluate(`${expression} ?? ''`)) ?? '');
}

/** Runs axe-core (WCAG 2 A and AA rules) on the page; returns the violations, one line each. */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ content: axeSource() });
  return (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } })
    .then((r) => r.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.html).slice(0, 3).join(' | ')))`)) as string[];
}

/** axe-core's source, injected into pages of a context that bypasses the CSP (the console's CSP forbids inline scripts). */
function axeSource(): string {
  const require = createRequire(import.meta.url);
  return (require('axe-core') as { source: string }).source;
}

/**
 * Screenshots of the console go to docs/ only when VOC_SCREENSHOTS=1: they show live data (ids,
 * clocks), so writing them on every run would change tracked files each time CI runs the tests.
 */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.VOC_SCREENSHOTS !== '1') return;
  mkdirSync('docs/console', { recursive: true });
  await page.screenshot({ path: `docs/console/${name}.png`, fullPage: true });
}
