import type { Domain, Incompatibility, Term } from './solve.ts';
import type { Requirement } from './types.ts';

const RootId = '$root';

/** An Explanation is the derivation of a failure in sentences, plus what could be changed. */
export interface Explanation {
  lines: string[];
  suggestions: string[];
  /** Requirements (root constraints) that take part in the conflict. */
  rootCauses: { package: string; constraint: string; from: string }[];
}

/**
 * Explain turns the derivation graph of a failed solve into numbered sentences ("Because A and
 * B, C.") that end with the conclusion, a summary of who asks for what of each package in the
 * conflict, and suggestions a person can act on.
 */
export function explain(failure: Incompatibility, domainOf: (pkg: string) => Domain, requirements: readonly Requirement[]): Explanation {
  const lines: string[] = [];
  const numbered = new Map<number, number>();
  const externals: Incompatibility[] = [];
  const seenExternal = new Set<number>();

  const versionsOf = (pkg: string, set: bigint): string => describeSet(domainOf(pkg), set);
  const name = (pkg: string): string => (pkg === RootId ? 'your requirements' : pkg);
  const term = (t: Term): string => {
    if (t.pkg === RootId) return 'your requirements';
    const d = domainOf(t.pkg);
    if (t.positive) return t.set === d.full && d.versions.length > 1 ? `any version of ${t.pkg}` : `${t.pkg} ${versionsOf(t.pkg, t.set)}`;
    return t.set === d.full ? `no version of ${t.pkg}` : `${t.pkg} other than ${versionsOf(t.pkg, t.set)}`;
  };

  const describe = (inc: Incompatibility): string => {
    const c = inc.cause;
    if (c.kind === 'root') return 'the requirements must be met';
    if (c.kind === 'dependency') {
      const fromTerm = inc.terms.get(c.from);
      const who = c.from === RootId ? (c.requirementFrom ?? 'your requirements') : `${c.from} ${versionsOf(c.from, fromTerm?.set ?? 0n)}`;
      const verb = c.from === RootId ? 'requires' : 'depends on';
      const base = `${who} ${verb} ${c.to} ${c.constraint === '' ? '(any version)' : c.constraint}`;
      if (!c.noMatch) return base;
      const known = domainOf(c.to).versions.map((v) => v.version);
      return `${base}, but no version of ${c.to} matches ${c.constraint} (${known.length === 0 ? 'no versions are known' : `known: ${summarise(known)}`})`;
    }
    const terms = [...inc.terms.values()];
    if (terms.length === 0 || (terms.length === 1 && terms[0]?.pkg === RootId)) return 'no set of versions satisfies every requirement';
    if (terms.length === 1) {
      const t = terms[0] as Term;
      return t.positive ? `${term(t)} cannot be used` : `${term(negateTerm(t))} is needed`;
    }
    if (terms.length === 2) {
      const [a, b] = terms as [Term, Term];
      if (a.positive && !b.positive) return `${term(a)} needs ${term(negateTerm(b))}`;
      if (!a.positive && b.positive) return `${term(b)} needs ${term(negateTerm(a))}`;
      if (a.positive && b.positive) return `${term(a)} is incompatible with ${term(b)}`;
    }
    return `these cannot all hold: ${terms.map(term).join(', ')}`;
  };

  const ref = (inc: Incompatibility): string => {
    if (inc.cause.kind !== 'derived') return describe(inc);
    return `${describe(inc)} (${numbered.get(inc.id)})`;
  };

  const visit = (inc: Incompatibility): void => {
    if (inc.cause.kind !== 'derived') {
      if (!seenExternal.has(inc.id)) {
        seenExternal.add(inc.id);
        externals.push(inc);
      }
      return;
    }
    if (numbered.has(inc.id)) return;
    const { left, right } = inc.cause;
    visit(left);
    visit(right);
    const conclusion = inc === failure ? 'no set of versions satisfies every requirement' : describe(inc);
    lines.push(`(${lines.length + 1}) Because ${ref(left)}, and ${ref(right)}: ${conclusion}.`);
    numbered.set(inc.id, lines.length);
  };
  visit(failure);
  if (lines.length === 0) lines.push(`${capitalise(describe(failure))}.`);

  // Who asks for what, per package in the conflict.
  const asks = new Map<string, string[]>();
  const rootCauses: Explanation['rootCauses'] = [];
  const suggestions: string[] = [];
  for (const inc of externals) {
    const c = inc.cause;
    if (c.kind !== 'dependency') continue;
    const fromTerm = inc.terms.get(c.from);
    const who = c.from === RootId ? (c.requirementFrom ?? 'your requirements') : `${c.from} ${versionsOf(c.from, fromTerm?.set ?? 0n)}`;
    const l = asks.get(c.to) ?? [];
    l.push(`${who} asks for ${c.constraint === '' ? 'any version' : c.constraint}`);
    asks.set(c.to, l);
    if (c.from === RootId) {
      const req = requirements.find((r) => r.package === c.to && r.constraint === c.constraint);
      rootCauses.push({ package: c.to, constraint: c.constraint, from: req?.from ?? 'your requirements' });
      suggestions.push(
        c.noMatch
          ? `Change the constraint ${req?.from ?? 'your requirements'} puts on ${c.to} (${c.constraint}): no published version matches it; known versions are ${summarise(domainOf(c.to).versions.map((v) => v.version))}.`
          : `Relax the constraint ${req?.from ?? 'your requirements'} puts on ${c.to} (${c.constraint}).`,
      );
    } else if (c.noMatch) {
      suggestions.push(
        `Avoid ${c.from} ${versionsOf(c.from, fromTerm?.set ?? 0n)}: it needs ${c.to} ${c.constraint}, which no published version of ${c.to} satisfies (publish one, or ask the publisher of ${name(c.from)} to relax it).`,
      );
    } else {
      suggestions.push(
        `Use another version of ${c.from} than ${versionsOf(c.from, fromTerm?.set ?? 0n)} (they need ${c.to} ${c.constraint}), or ask its publisher to relax that constraint.`,
      );
    }
  }
  for (const [pkg, l] of [...asks.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const known = domainOf(pkg).versions.map((v) => v.version);
    lines.push(`${pkg}: ${l.join('; ')} (published: ${known.length === 0 ? 'none' : summarise(known)}).`);
  }
  return { lines, suggestions: dedupe(suggestions), rootCauses };
}

function negateTerm(t: Term): Term {
  return { pkg: t.pkg, positive: !t.positive, set: t.set };
}

function dedupe(l: string[]): string[] {
  return [...new Set(l)];
}

function capitalise(s: string): string {
  return s.length === 0 ? s : `${s[0]?.toUpperCase()}${s.slice(1)}`;
}

/** DescribeSet names a set of versions: a short list, or the span and the count. */
export function describeSet(d: Domain, set: bigint): string {
  const vs: string[] = [];
  for (let i = 0; i < d.versions.length; i++) if ((set & (1n << BigInt(i))) !== 0n) vs.push(d.versions[i]?.version ?? '?');
  if (vs.length === 0) return '(no version)';
  if (vs.length === 1) return vs[0] as string;
  vs.reverse();
  if (vs.length <= 3) return `${vs.slice(0, -1).join(', ')} or ${vs.at(-1)}`;
  return `${vs[0]} … ${vs.at(-1)} (${vs.length} versions)`;
}

function summarise(versions: string[]): string {
  const l = [...versions].reverse();
  if (l.length <= 5) return l.join(', ');
  return `${l.slice(0, 2).join(', ')} … ${l.slice(-2).join(', ')} (${l.length} versions)`;
}
