export type { CelValidator } from './cel/validator.ts';
export { compileCelValidator } from './cel/validator.ts';
export type { ScaleContext, ValidateOptions } from './compile.ts';
export { compileVersionSchema, VersionSchema } from './compile.ts';
export { validateCrd, validateCrdName } from './crd.ts';
export type { FieldError } from './field.ts';
export { aggregate, ErrorType, errorBody, errorString, toCause } from './field.ts';
export { compareGoStrings, goFloat, goJSON, goNumber, goQuote } from './gofmt.ts';
export type { NameValidator, ObjectMetaOptions } from './names.ts';
export {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  objectMetaKeys,
  validateAnnotations,
  validateLabels,
  validateObjectMeta,
} from './names.ts';
export { compileRe2, Re2SyntaxError } from './regex.ts';

import type { SchemaLibrary } from '../contracts.ts';
import { compileVersionSchema as compile } from './compile.ts';
import { validateCrd as validate } from './crd.ts';

/** SchemaLibrary is this module bound to the core's contract (src/contracts.ts). */
export const schemaLibrary: SchemaLibrary = { validateCrd: validate, compileVersionSchema: compile };
