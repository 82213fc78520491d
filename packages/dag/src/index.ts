export { CycleError, Dag, MissingNodeError } from './dag.ts';
