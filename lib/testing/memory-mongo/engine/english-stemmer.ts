/**
 * The Porter2 ("Snowball English") stemmer, which MongoDB's text search uses for English: it maps
 * the forms of a word to one stem (cake, cakes -> cake; speed, speeds -> speed; running -> run),
 * so that a search for one form finds the others. Written from the algorithm's published rules;
 * it expects a lowercase word.
 */

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const DOUBLES = ['bb', 'dd', 'ff', 'gg', 'mm', 'nn', 'pp', 'rr', 'tt'];
const LI_ENDINGS = new Set(['c', 'd', 'e', 'g', 'h', 'k', 'm', 'n', 'r', 't']);

/** Words with a stem of their own. */
const EXCEPTIONS = new Map([
  ['skis', 'ski'],
  ['skies', 'sky'],
  ['dying', 'die'],
  ['lying', 'lie'],
  ['tying', 'tie'],
  ['idly', 'idl'],
  ['gently', 'gentl'],
  ['ugly', 'ugli'],
  ['early', 'earli'],
  ['only', 'onli'],
  ['singly', 'singl'],
  ['sky', 'sky'],
  ['news', 'news'],
  ['howe', 'howe'],
  ['atlas', 'atlas'],
  ['cosmos', 'cosmos'],
  ['bias', 'bias'],
  ['andes', 'andes'],
]);
/** Words left as they are after step 1a. */
const STEP_1A_INVARIANTS = new Set([
  'inning',
  'outing',
  'canning',
  'herring',
  'earring',
  'proceed',
  'exceed',
  'succeed',
]);

const STEP_2: [string, string][] = [
  ['ization', 'ize'],
  ['ational', 'ate'],
  ['fulness', 'ful'],
  ['ousness', 'ous'],
  ['iveness', 'ive'],
  ['tional', 'tion'],
  ['biliti', 'ble'],
  ['lessli', 'less'],
  ['entli', 'ent'],
  ['ation', 'ate'],
  ['alism', 'al'],
  ['aliti', 'al'],
  ['ousli', 'ous'],
  ['iviti', 'ive'],
  ['fulli', 'ful'],
  ['enci', 'ence'],
  ['anci', 'ance'],
  ['abli', 'able'],
  ['izer', 'ize'],
  ['ator', 'ate'],
  ['alli', 'al'],
  ['bli', 'ble'],
  ['ogi', 'og'],
  ['li', ''],
];
const STEP_3: [string, string][] = [
  ['ational', 'ate'],
  ['tional', 'tion'],
  ['alize', 'al'],
  ['icate', 'ic'],
  ['iciti', 'ic'],
  ['ative', ''],
  ['ical', 'ic'],
  ['ness', ''],
  ['ful', ''],
];
const STEP_4 = [
  'ement',
  'ance',
  'ence',
  'able',
  'ible',
  'ment',
  'ant',
  'ent',
  'ism',
  'ate',
  'iti',
  'ous',
  'ive',
  'ize',
  'ion',
  'al',
  'er',
  'ic',
];

function isVowel(word: string, i: number): boolean {
  return VOWELS.has(word[i]!);
}

/** Start of the region after the first non-vowel that follows a vowel, from `from`. */
function regionAfter(word: string, from: number): number {
  for (let i = from + 1; i < word.length; i++) if (!isVowel(word, i) && isVowel(word, i - 1)) return i + 1;
  return word.length;
}

/** Whether the word ends with a short syllable (a vowel between non-vowels, the last not w, x or Y). */
function endsWithShortSyllable(word: string): boolean {
  const n = word.length;
  if (n === 2) return isVowel(word, 0) && !isVowel(word, 1);
  return (
    n >= 3 && !isVowel(word, n - 3) && isVowel(word, n - 2) && !isVowel(word, n - 1) && !'wxY'.includes(word[n - 1]!)
  );
}

function containsVowel(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (isVowel(s, i)) return true;
  return false;
}

/** The longest of `suffixes` the word ends with. */
function longestSuffix(word: string, suffixes: readonly string[]): string | null {
  let best: string | null = null;
  for (const s of suffixes) if (word.endsWith(s) && (best === null || s.length > best.length)) best = s;
  return best;
}

function step1a(word: string): string {
  const suffix = longestSuffix(word, ['sses', 'ied', 'ies', 'us', 'ss', 's']);
  const stem = suffix ? word.slice(0, -suffix.length) : word;
  switch (suffix) {
    case 'sses':
      return `${stem}ss`;
    case 'ied':
    case 'ies':
      return stem.length > 1 ? `${stem}i` : `${stem}ie`;
    case 's':
      return containsVowel(stem.slice(0, -1)) ? stem : word;
    default:
      return word;
  }
}

function step1b(word: string, r1: number): string {
  const suffix = longestSuffix(word, ['eedly', 'ingly', 'edly', 'eed', 'ing', 'ed']);
  if (!suffix) return word;
  const stem = word.slice(0, -suffix.length);
  if (suffix === 'eed' || suffix === 'eedly') return stem.length >= r1 ? `${stem}ee` : word;
  if (!containsVowel(stem)) return word;
  if (stem.endsWith('at') || stem.endsWith('bl') || stem.endsWith('iz')) return `${stem}e`;
  if (DOUBLES.some((d) => stem.endsWith(d))) return stem.slice(0, -1);
  // A short word (ending in a short syllable, with nothing in R1) gets its e back: hoping -> hope.
  if (endsWithShortSyllable(stem) && r1 >= stem.length) return `${stem}e`;
  return stem;
}

function step1c(word: string): string {
  const n = word.length;
  if (n > 2 && (word[n - 1] === 'y' || word[n - 1] === 'Y') && !isVowel(word, n - 2)) return `${word.slice(0, -1)}i`;
  return word;
}

/** Replaces the longest listed suffix when it lies in the region from `region`. */
function replaceInRegion(
  word: string,
  rules: [string, string][],
  region: number,
  accept: (stem: string, suffix: string) => boolean = () => true,
): string {
  const suffix = longestSuffix(
    word,
    rules.map(([s]) => s),
  );
  if (!suffix) return word;
  const stem = word.slice(0, -suffix.length);
  if (stem.length < region || !accept(stem, suffix)) return word;
  return stem + rules.find(([s]) => s === suffix)![1];
}

/** Stems a lowercase English word. */
export function stemEnglish(input: string): string {
  if (input.length <= 2) return input;
  let word = input.startsWith("'") ? input.slice(1) : input;
  const exception = EXCEPTIONS.get(word);
  if (exception) return exception;
  // A y that acts as a consonant is marked Y, so that it does not count as a vowel.
  word = word.replace(/^y/, 'Y').replace(/([aeiouy])y/g, '$1Y');
  const special = /^(gener|commun|arsen)/.exec(word);
  const r1 = special ? special[0].length : regionAfter(word, 0);
  const r2 = regionAfter(word, r1);
  word = word.replace(/('s'|'s|')$/, '');
  word = step1a(word);
  if (STEP_1A_INVARIANTS.has(word)) return word;
  word = step1b(word, r1);
  word = step1c(word);
  word = replaceInRegion(word, STEP_2, r1, (stem, suffix) => {
    if (suffix === 'ogi') return stem.endsWith('l');
    if (suffix === 'li') return LI_ENDINGS.has(stem[stem.length - 1] ?? '');
    return true;
  });
  word = replaceInRegion(word, STEP_3, r1, (stem, suffix) => suffix !== 'ative' || stem.length >= r2);
  word = replaceInRegion(
    word,
    STEP_4.map((s) => [s, '']),
    r2,
    (stem, suffix) => suffix !== 'ion' || stem.endsWith('s') || stem.endsWith('t'),
  );
  if (word.endsWith('e')) {
    const stem = word.slice(0, -1);
    if (stem.length >= r2 || (stem.length >= r1 && !endsWithShortSyllable(stem))) word = stem;
  } else if (word.endsWith('ll') && word.length - 1 >= r2) {
    word = word.slice(0, -1);
  }
  return word.replace(/Y/g, 'y');
}
