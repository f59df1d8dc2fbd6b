// axe-core in a real Chromium tab: the WCAG 2.2 A and AA rules, at the desktop and the
// phone width, with every violation reported in words a developer can act on.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

/** The rules the suite holds every page to. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa'];

export const DESKTOP = { width: 1280, height: 900 } as const;
export const PHONE = { width: 375, height: 812 } as const;

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface Violation {
  where: string;
  id: string;
  impact: string;
  help: string;
  helpUrl: string;
  targets: string[];
  summary: string;
}

type Viewport = { width: number; height: number };

/**
 * Waits until the page has stopped moving: no transition or finite animation running for
 * several frames in a row, then returns. A dialog fading in is half-transparent, and its text
 * would fail contrast. One quiet frame is not enough: Mantine mounts a dialog, waits a frame
 * with its "before" styles (nothing running yet), and only starts the fade a frame later.
 * Spinners loop forever and do not count.
 */
export async function settled(tab: Page, quietFrames = 4) {
  // In the page; the project compiles without the DOM library, so the page is `any`.
  await tab.evaluate(
    (wanted) =>
      new Promise<void>((resolve) => {
        const page = globalThis as any;
        let quiet = 0;
        const frame = () => {
          const moving = page.document.getAnimations().some((animation: any) =>
            animation.playState === 'running' && animation.effect?.getComputedTiming().iterations !== Infinity,
          );
          quiet = moving ? 0 : quiet + 1;
          if (quiet >= wanted) resolve();
          else page.requestAnimationFrame(frame);
        };
        page.requestAnimationFrame(frame);
      }),
    quietFrames,
  );
}

/** Runs axe-core on the page as it is now; injected once per document (evaluated over CDP, so the page's CSP is untouched). */
export async function axeViolations(tab: Page, where: string): Promise<Violation[]> {
  if (!(await tab.evaluate(() => 'axe' in globalThis))) await tab.evaluate(AXE_SOURCE);
  const found = await tab.evaluate(async (tags) => {
    const page = globalThis as any;
    const axe = page.axe as { run: (context: unknown, options: unknown) => Promise<{ violations: AxeViolation[] }> };
    // The mail frame is a sandbox without scripts (axe cannot run in it); its title is checked here.
    const result = await axe.run(page.document, { runOnly: { type: 'tag', values: tags }, iframes: false, resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? 'unknown',
      help: v.help,
      helpUrl: v.helpUrl,
      targets: v.nodes.map((node) => node.target.join(' ')),
      summary: v.nodes[0]?.failureSummary ?? '',
    }));

    interface AxeViolation {
      id: string;
      impact?: string;
      help: string;
      helpUrl: string;
      nodes: { target: string[]; failureSummary?: string }[];
    }
  }, WCAG_TAGS);
  return found.map((v) => ({ ...v, where }));
}

/**
 * Checks the page at each width (the layout changes at 375 px: menus, scrolling tables),
 * then puts the desktop size back. Returns the violations found.
 */
export async function checkPage(tab: Page, name: string, widths: readonly Viewport[] = [DESKTOP, PHONE]): Promise<Violation[]> {
  const found: Violation[] = [];
  for (const size of widths) {
    await tab.setViewportSize(size);
    await settled(tab);
    found.push(...(await axeViolations(tab, `${name} at ${size.width} px`)));
  }
  if (widths.some((size) => size.width !== DESKTOP.width)) {
    await tab.setViewportSize(DESKTOP);
    await settled(tab);
  }
  return found;
}

/**
 * One paragraph per problem: the rule, its impact, what to fix, the elements, and every
 * page and width where axe found it (the same problem on many pages is one shared cause).
 */
export function describeViolations(violations: Violation[]): string {
  const problems = new Map<string, { first: Violation; where: string[] }>();
  for (const v of violations) {
    const key = JSON.stringify([v.id, v.targets, v.summary]);
    const problem = problems.get(key) ?? { first: v, where: [] };
    problem.where.push(v.where);
    problems.set(key, problem);
  }
  return [...problems.values()]
    .map(({ first: v, where }) =>
      [
        `${v.id} (${v.impact}): ${v.help}`,
        `  ${v.helpUrl}`,
        `  on: ${where.join('; ')}`,
        ...v.targets.slice(0, 5).map((target) => `  element: ${target}`),
        ...(v.targets.length > 5 ? [`  … and ${v.targets.length - 5} more elements`] : []),
        ...v.summary.split('\n').map((line) => `  ${line}`),
      ].join('\n'),
    )
    .join('\n\n');
}
