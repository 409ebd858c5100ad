/** The boxed table under `inventory --format table`: widths in terminal columns, wrapping, cutting, colour after layout. */
import { describe, expect, it } from 'vitest';
import { boxTable, displayWidth, fit, wrap } from '../../../src/cli/render/text-table.js';

describe('displayWidth', () => {
  it('counts terminal columns: ASCII 1, East Asian wide and emoji 2, combining marks 0', () => {
    expect(displayWidth('shop.example.com')).toBe(16);
    expect(displayWidth('東京.jp')).toBe(7);
    expect(displayWidth('ＦＵＬＬ')).toBe(8);
    expect(displayWidth('e\u0301cole')).toBe(5);
    expect(displayWidth('ok 😀')).toBe(5);
    expect(displayWidth('Zürich')).toBe(6);
  });
});

describe('wrap and fit', () => {
  it('wraps greedily on spaces, keeping the spaces inside a line', () => {
    expect(wrap('O=Example Organisation GmbH & Co. KG', 16)).toEqual(['O=Example', 'Organisation', 'GmbH & Co. KG']);
    expect(wrap('a  b', 4)).toEqual(['a  b']);
    expect(wrap('日本語 日本語', 8)).toEqual(['日本語', '日本語']);
  });

  it('puts a word wider than the column on its own line, and fit cuts it with an ellipsis', () => {
    expect(wrap('ab averyverylongword c', 6)).toEqual(['ab', 'averyverylongword', 'c']);
    expect(fit('averyverylongword', 6)).toEqual({ text: 'avery…', width: 6 });
    expect(fit('日本語のドメイン', 6)).toEqual({ text: '日本…', width: 5 });
    expect(fit('short', 6)).toEqual({ text: 'short', width: 5 });
  });
});

describe('boxTable', () => {
  it('draws borders, pads to the column, separates rows and paints after padding is measured', () => {
    const red = (s: string) => `<${s}>`;
    const text = boxTable(
      [[{ text: 'A' }], [{ text: 'B' }]],
      [
        [[{ text: 'one two three' }], [{ text: 'x', paint: red }, { text: 'y' }]],
        [[{ text: '東京' }], []],
      ],
      [9, 5],
    );
    expect(text).toBe(
      [
        '┌─────────┬─────┐',
        '│ A       │ B   │',
        '├─────────┼─────┤',
        '│ one two │ <x>   │', // the paint's own characters are not counted as width
        '│ three   │ y   │',
        '├─────────┼─────┤',
        '│ 東京    │     │',
        '└─────────┴─────┘',
      ].join('\n'),
    );
  });
});
