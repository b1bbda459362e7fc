/**
 * Test text that stays distinct after normalization (digits all fold to 0, so numbers cannot tell
 * test documents apart): a number spelled with Arabic letters.
 */
const LETTERS = 'ابتثجحخدذرزسشصضطظعغفقكلمنهوي';

export function tag(n: number): string {
  let s = '';
  let v = Math.abs(Math.floor(n));
  do {
    s = LETTERS[v % LETTERS.length]! + s;
    v = Math.floor(v / LETTERS.length);
  } while (v > 0);
  return `${s}ة`;
}

/** A unique body paragraph. */
export function body(i: number): string {
  return `هذه فقرة فريدة من متن المقال ${tag(i)} ${tag(i * 7 + 3)} تحكي ما جرى اليوم بالتفصيل في ${tag(i * 13 + 5)}`;
}
