export { goJsonFloat, goJsonMarshal, goJsonString } from './json.ts';
export { sprint, sprintf, sprintln } from './sprintf.ts';
export { formatFloat, formatFloatF, quote, quoteRuneLiteral } from './strconv.ts';
export type { IntKind } from './values.ts';
export {
  GoInt,
  goInt,
  goTypeName,
  IntKinds,
  intsFromJson,
  intValue,
  isGoMap,
  isInteger,
  isUnsignedKind,
  sliceTypeOf,
  toPlainJson,
  typedSlice,
} from './values.ts';
