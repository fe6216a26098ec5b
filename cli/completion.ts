// vpnctl completion bash|zsh: commands, kinds and flags, read from the program itself so they
// never fall behind it.
import type { Command } from 'commander';
import { UsageError } from './errors';
import { KINDS } from './resources';

interface Words {
  /** "get", "tunnel wait", ... -> its flags */
  flags: Map<string, string[]>;
  /** "" (top), "tunnel", "create", ... -> its subcommands */
  subcommands: Map<string, string[]>;
}

function words(program: Command): Words {
  const out: Words = { flags: new Map(), subcommands: new Map() };
  const walk = (cmd: Command, path: string) => {
    out.subcommands.set(
      path,
      cmd.commands.map((c) => c.name()),
    );
    for (const c of cmd.commands) {
      const p = path ? `${path} ${c.name()}` : c.name();
      out.flags.set(p, c.options.map((o) => o.long ?? o.short ?? '').filter(Boolean));
      walk(c, p);
    }
  };
  walk(program, '');
  return out;
}

export function completionScript(program: Command, shell: string): string {
  const w = words(program);
  const kinds = KINDS.map((k) => k.name).join(' ');
  const cases: string[] = [];
  for (const [path, subs] of w.subcommands) if (subs.length) cases.push(`    "${path}") words="${subs.join(' ')}" ;;`);
  for (const [path, flags] of w.flags) {
    const withKinds = ['get', 'describe', 'delete'].includes(path) ? ` ${kinds}` : '';
    if (!w.subcommands.get(path)?.length) cases.push(`    "${path}") words="${flags.join(' ')}${withKinds}" ;;`);
  }
  const body = `# vpnctl ${shell} completion: eval "$(vpnctl completion ${shell})"
_vpnctl_words() {
  # The command path typed so far (words that are not flags), longest known prefix.
  local path="" w words=""
  for w in "$@"; do
    case "$w" in -*) ;; *) case "$_vpnctl_paths" in *"|\${path:+$path }$w|"*) path="\${path:+$path }$w" ;; esac ;; esac
  done
  case "$path" in
${cases.join('\n')}
  esac
  echo "$words"
}
_vpnctl_paths="|${[...new Set([...w.subcommands.keys(), ...w.flags.keys()])].filter(Boolean).join('|')}|"
`;
  if (shell === 'bash') {
    return `${body}_vpnctl_complete() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  COMPREPLY=( $(compgen -W "$(_vpnctl_words "\${COMP_WORDS[@]:1:COMP_CWORD-1}")" -- "$cur") )
}
complete -o default -F _vpnctl_complete vpnctl
`;
  }
  if (shell === 'zsh') {
    return `${body}_vpnctl_zsh() {
  local -a candidates
  candidates=(\${=$(_vpnctl_words "\${(@)words[2,CURRENT-1]}")})
  compadd -a candidates
}
compdef _vpnctl_zsh vpnctl
`;
  }
  throw new UsageError(`completion: shell must be bash or zsh (got ${shell})`);
}
