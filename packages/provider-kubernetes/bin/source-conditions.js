// A module-resolution hook that resolves @trellis/* packages to their TypeScript sources (the
// "@trellis/source" export condition), as vitest and tsc do.
export async function resolve(specifier, context, next) {
  return next(specifier, { ...context, conditions: [...context.conditions, '@trellis/source'] });
}
