/**
 * DefinedKeysInOrder returns the keys of `o` whose values are not undefined, sorted by code unit
 * (the order canonical JSON writers need). Keys already in order are returned as they are, and a
 * short list is sorted in place without the temporary copy `Array.prototype.sort` makes: hash
 * writers call this for every object they write.
 */
export function definedKeysInOrder(o: Record<string, unknown>): string[] {
  let keys = Object.keys(o);
  let sorted = true;
  let defined = true;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (o[k] === undefined) defined = false;
    if (i > 0 && (keys[i - 1] as string) > k) sorted = false;
  }
  if (!defined) keys = keys.filter((k) => o[k] !== undefined);
  return sorted ? keys : sortInPlace(keys);
}

/**
 * SortInPlace sorts distinct strings by code unit, as `Array.prototype.sort` does, but short lists
 * (an object's keys, almost always) by insertion without the temporary copy the built-in makes.
 */
function sortInPlace(keys: string[]): string[] {
  if (keys.length > 32) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}
