import { describe, expect, it } from 'vitest';
import { countDecisions, lexLine, newLexState } from './decision-points.js';
import type { LanguageFamily } from './classify-path.js';

function decisions(lines: string[], family: Exclude<LanguageFamily, null>): number {
  const state = newLexState();
  return lines.reduce((n, l) => n + countDecisions(lexLine(l, family, state).code, family), 0);
}

describe('decision points', () => {
  it('counts branching keywords and operators, not strings or comments (JS/TS)', () => {
    expect(decisions(['if (a && b) { x = "if (c || d)"; } // while (true)'], 'js')).toBe(2);
    expect(decisions(['const v = a ? b : c ?? d;', 'const o = a?.b;', 'function f(x?: string) {}'], 'js')).toBe(2);
    expect(decisions(['/* if (a) {', ' for (;;) */ while (x) {}'], 'js')).toBe(1);
    expect(decisions(['switch (k) {', '  case 1: break;', '  case 2: break;', '}', 'try {} catch (e) {}'], 'js')).toBe(3);
  });

  it('knows Python, Go, Rust, Ruby and shell equivalents', () => {
    expect(decisions(['if a and b:  # or c', '    pass', 'elif x or y:', 'for i in "while": pass'], 'python')).toBe(5);
    expect(decisions(['"""if a or b', 'while c', '"""', 'while x: pass'], 'python')).toBe(1);
    expect(decisions(['if err != nil && ok {', 'for _, v := range xs {', 'switch {', 'case a:', '}', 's := `if ||`'], 'go')).toBe(4);
    expect(decisions(['match x {', "    Some(v) => v,", '    None => 0,', '}', "let c = 'a'; if a || b { loop {} }"], 'rust')).toBe(5);
    expect(decisions(['unless x', 'return y if z && w', "puts 'if or'"], 'ruby')).toBe(3);
    expect(decisions(['if [ -f x ] && [ -f y ]; then', 'case "$1" in', 'echo "while"'], 'shell')).toBe(3);
  });

  it('flags doc comments and comment-only lines', () => {
    const s = newLexState();
    expect(lexLine('/** Adds two numbers.', 'js', s)).toMatchObject({ doc: true, blank: true });
    expect(lexLine(' * @param a the first', 'js', s)).toMatchObject({ doc: true, blank: true });
    expect(lexLine(' */ export const x = 1;', 'js', s)).toMatchObject({ blank: false });
    expect(lexLine('/// Rust docs', 'rust', newLexState())).toMatchObject({ doc: true, blank: true });
    expect(lexLine('// plain', 'go', newLexState())).toMatchObject({ doc: false, blank: true });
    expect(lexLine('    """Docstring."""', 'python', newLexState())).toMatchObject({ doc: true });
  });
});
