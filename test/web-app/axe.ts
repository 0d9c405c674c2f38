/**
 * One screen of the app checked as a person with assistive technology or a phone meets it:
 * axe-core's rules (WCAG 2.x A and AA, and its best practices) on what is shown, and the layout
 * at the page's viewport (390 × 844 in these tests): nothing wider than the screen. axe runs
 * through the DevTools protocol's evaluate, which the page's CSP does not apply to: the app
 * itself loads no script but its own.
 */
import axe from 'axe-core';
import type { Page } from 'playwright-core';

/** axe's violations on the page as it is shown now, one line each: rule, impact, elements (CSS selectors). */
async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axe.source);
  const results = await page.evaluate(() =>
    (window as unknown as { axe: typeof axe }).axe.run(document, { resultTypes: ['violations'] }),
  );
  return results.violations.map(
    (v) => `${v.id} (${v.impact ?? 'unknown'}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
}

/**
 * Each problem of the screen as one line, in the light and the dark colour scheme (the app
 * follows the system's): axe's violations, and content wider than the viewport.
 */
export async function screenProblems(page: Page): Promise<string[]> {
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    problems.push(...(await axeViolations(page)).map((v) => `${colorScheme}: ${v}`));
  }
  await page.emulateMedia({ colorScheme: null });
  const width = await page.evaluate(() => ({
    content: document.documentElement.scrollWidth,
    viewport: window.innerWidth,
  }));
  if (width.content > width.viewport)
    problems.push(`layout: content ${width.content} px wide in a ${width.viewport} px viewport`);
  return problems;
}
