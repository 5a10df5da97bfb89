import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// WCAG 2.1 contrast of the theme variables in styles.css: 4.5:1 for text (1.4.3), 3:1 for borders of controls,
// focus rings and the critical-path outline (1.4.11).

function themes(): Map<string, Record<string, string>> {
  const result = new Map<string, Record<string, string>>();
  for (const [, name, body] of css.matchAll(/\[data-theme='(\w+)'\][^{]*\{([^}]*)\}/g)) {
    result.set(name, Object.fromEntries([...body.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})/g)].map((m) => [m[1], m[2]])));
  }
  return result;
}

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
};

const css = readFileSync(join(import.meta.dirname, 'styles.css'), 'utf8');

const surfaces = ['bg', 'panel', 'panel-2'];
const statuses = ['pending', 'queued', 'running', 'awaiting', 'succeeded', 'failed', 'cancelled', 'skipped'];

describe('theme contrast', () => {
  it('has both themes', () => {
    expect([...themes().keys()].sort()).toEqual(['dark', 'light']);
  });

  for (const [name, v] of themes()) {
    it(`${name}: text is at least 4.5:1 on what it is drawn on`, () => {
      const pairs: [string, string][] = [
        ...['text', 'muted', 'danger'].flatMap((t) => surfaces.map((s): [string, string] => [t, s])),
        ['accent', 'bg'],
        ['accent', 'panel'],
        ['accent-text', 'accent'],
        ...statuses.map((s): [string, string] => [`s-${s}`, `s-${s}-bg`]),
      ];
      const low = pairs.map(([a, b]) => [a, b, contrast(v[a], v[b])] as const).filter(([, , c]) => c < 4.5);
      expect(low).toEqual([]);
    });

    it(`${name}: control borders, focus ring and critical path are at least 3:1`, () => {
      const pairs: [string, string][] = [...['border', 'focus', 'critical'].flatMap((t) => surfaces.map((s): [string, string] => [t, s]))];
      const low = pairs.map(([a, b]) => [a, b, contrast(v[a], v[b])] as const).filter(([, , c]) => c < 3);
      expect(low).toEqual([]);
    });
  }
});
