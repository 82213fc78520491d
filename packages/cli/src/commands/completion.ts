import type { CAC } from 'cac';
import type { CommandContext } from '../context.ts';
import { completionScript } from '../ui/completion.ts';
import { commandSpecs, globalOptions } from '../ui/help.ts';

/** RegisterCompletion adds `trellis completion bash|zsh|fish`. */
export function registerCompletion(cli: CAC, ctx: CommandContext, run: (fn: () => Promise<number>) => void): void {
  cli
    .command('completion <shell>', 'Print a shell completion script (bash, zsh or fish)')
    .example('source <(trellis completion bash)   # add to ~/.bashrc')
    .example('source <(trellis completion zsh)    # add to ~/.zshrc')
    .example('trellis completion fish > ~/.config/fish/completions/trellis.fish')
    .action((shell: string) =>
      run(async () => {
        ctx.io.out(completionScript(shell, commandSpecs(cli), globalOptions(cli)));
        return 0;
      }),
    );
}
