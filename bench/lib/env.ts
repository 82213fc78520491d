// Benchmark knobs read from the environment (they affect no turbo task).
export const envVar = (name: string): string | undefined => process.env[name];
