import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import { registerBeta } from './beta.ts';
import { registerCompletion } from './completion.ts';
import { registerDependency } from './dependency.ts';
import { registerFunction } from './function.ts';
import { registerPlan } from './plan.ts';
import { registerRender } from './render.ts';
import { registerTest } from './test.ts';
import { registerTrace } from './trace.ts';
import { registerUp } from './up.ts';
import { registerValidate } from './validate.ts';
import { registerVersion } from './version.ts';
import { registerXpkg } from './xpkg.ts';

/** A Registrar adds one command (or command group) to the CLI. */
export type Registrar = (cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void) => void;

/** Every command of the trellis CLI, in help order. */
export const registrars: Registrar[] = [
  registerUp,
  registerRender,
  registerValidate,
  registerTest,
  registerPlan,
  registerTrace,
  registerXpkg,
  registerDependency,
  registerFunction,
  registerBeta,
  registerCompletion,
  registerVersion,
];
