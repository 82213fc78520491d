import { TrellisError } from '@trellis/sdk';
import type { CommandSpec, OptionSpec } from './help.ts';

/** Shells `trellis completion` writes scripts for. */
export const Shells = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof Shells)[number];

/** OutputValues are offered after `-o`/`--output` (commands check which they accept). */
const OutputValues = ['text', 'wide', 'json', 'yaml', 'dot', 'junit'];

/**
 * CompletionScript returns the completion script for `shell`, generated from the registered
 * commands: command names, each command's actions (xpkg build|push|...) and flags, `-o` values,
 * and file names everywhere else. Load it with `source <(trellis completion bash)`,
 * `source <(trellis completion zsh)` or `trellis completion fish | source`.
 */
export function completionScript(shell: string, commands: CommandSpec[], globals: OptionSpec[]): string {
  switch (shell) {
    case 'bash':
      return bash(commands, globals);
    case 'zsh':
      return zsh(commands, globals);
    case 'fish':
      return fish(commands, globals);
    default:
      throw new TrellisError('CLI_USAGE', `unsupported shell ${JSON.stringify(shell)}: want one of ${Shells.join(', ')}`);
  }
}

/** IsFormatOption recognises an `-o, --output <format>` option (xpkg's `--output <file>` is a file). */
function isFormatOption(o: OptionSpec): boolean {
  return o.takesValue && o.flags.includes('--output') && /json|yaml/.test(o.description);
}

function flagsOf(opts: OptionSpec[]): string[] {
  return opts.flatMap((o) => o.flags);
}

/** Words are safe to put inside single quotes in every shell we write for. */
function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function bash(commands: CommandSpec[], globals: OptionSpec[]): string {
  const cases = commands
    .map((c) => {
      const flags = [...flagsOf(c.options), ...flagsOf(globals)].join(' ');
      const valued = c.options.filter((o) => o.takesValue).flatMap((o) => o.flags);
      const formats = c.options.find(isFormatOption);
      return [
        `    ${c.name})`,
        `      opts=${quote(flags)}`,
        `      actions=${quote(c.actions.join(' '))}`,
        `      valued=${quote(` ${valued.join(' ')} `)}`,
        `      formats=${quote(formats === undefined ? '' : ` ${formats.flags.join(' ')} `)}`,
        '      ;;',
      ].join('\n');
    })
    .join('\n');
  return `# bash completion for trellis; load with: source <(trellis completion bash)
_trellis() {
  local cur prev cmd opts actions valued formats
  cur="\${COMP_WORDS[COMP_CWORD]}"
  prev=""
  if [ "$COMP_CWORD" -gt 0 ]; then prev="\${COMP_WORDS[COMP_CWORD-1]}"; fi
  if [ "$COMP_CWORD" -le 1 ]; then
    COMPREPLY=( $(compgen -W ${quote(commands.map((c) => c.name).join(' '))} -- "$cur") )
    return 0
  fi
  cmd="\${COMP_WORDS[1]}"
  opts=${quote(flagsOf(globals).join(' '))}
  actions=""
  valued=" "
  formats=" "
  case "$cmd" in
${cases}
  esac
  if [ -n "$prev" ] && [[ "$formats" == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -W ${quote(OutputValues.join(' '))} -- "$cur") )
    return 0
  fi
  if [[ "$valued" == *" $prev "* ]]; then
    COMPREPLY=( $(compgen -f -- "$cur") )
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    return 0
  fi
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$actions" ]; then
    COMPREPLY=( $(compgen -W "$actions" -- "$cur") )
    return 0
  fi
  COMPREPLY=( $(compgen -f -- "$cur") )
  return 0
}
complete -o default -F _trellis trellis
`;
}

function zshDescribe(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/:/g, '\\:').replace(/'/g, `'\\''`).replace(/\[/g, '(').replace(/\]/g, ')');
}

function zshOption(o: OptionSpec): string[] {
  const desc = zshDescribe(o.description);
  const value = o.takesValue ? (isFormatOption(o) ? `:format:(${OutputValues.join(' ')})` : ':value:_files') : '';
  return o.flags.map((f) => `'${f}[${desc}]${value}'`);
}

function zsh(commands: CommandSpec[], globals: OptionSpec[]): string {
  const list = commands.map((c) => `    '${zshDescribe(c.name)}:${zshDescribe(c.description)}'`).join('\n');
  const cases = commands
    .map((c) => {
      const args = [...c.options, ...globals].flatMap(zshOption);
      if (c.actions.length > 0) args.push(`'1:action:(${c.actions.join(' ')})'`);
      args.push(`'*:file:_files'`);
      return `    ${c.name})\n      _arguments -s ${args.join(' \\\n        ')}\n      ;;`;
    })
    .join('\n');
  return `#compdef trellis
# zsh completion for trellis; load with: source <(trellis completion zsh)
_trellis() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  local cmd=$words[2]
  shift words
  (( CURRENT-- ))
  case $cmd in
${cases}
  esac
}
if [ "$funcstack[1]" = "_trellis" ]; then
  _trellis "$@"
else
  compdef _trellis trellis
fi
`;
}

function fishDescribe(s: string): string {
  return quote(s);
}

function fish(commands: CommandSpec[], globals: OptionSpec[]): string {
  const lines = ['# fish completion for trellis; load with: trellis completion fish | source', 'complete -c trellis -f'];
  const names = commands.map((c) => c.name).join(' ');
  for (const c of commands) {
    lines.push(`complete -c trellis -n "not __fish_seen_subcommand_from ${names}" -a ${c.name} -d ${fishDescribe(c.description)}`);
  }
  for (const c of commands) {
    const when = `"__fish_seen_subcommand_from ${c.name}"`;
    if (c.actions.length > 0) lines.push(`complete -c trellis -n ${when} -a ${quote(c.actions.join(' '))}`);
    for (const o of [...c.options, ...globals]) {
      const parts = o.flags.map((f) => (f.startsWith('--') ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`));
      const value = o.takesValue ? (isFormatOption(o) ? ` -x -a ${quote(OutputValues.join(' '))}` : ' -r -F') : '';
      lines.push(`complete -c trellis -n ${when} ${parts.join(' ')}${value} -d ${fishDescribe(o.description)}`);
    }
    lines.push(`complete -c trellis -n ${when} -F`);
  }
  return `${lines.join('\n')}\n`;
}
