// The remote-side download (`GET /vpn-tunnels/{id}/config?side=remote`, strongSwan flavour) holds
// the ipsec.conf and, commented, the ipsec.secrets line: what a lab site needs, split apart.
export function splitConfigBundle(text: string): { conf: string; secrets: string } {
  const marker = text.indexOf('# ipsec.secrets:');
  const secretLine = text
    .slice(marker)
    .split('\n')
    .find((l) => /^# \S+ \S+ : PSK /.test(l));
  if (marker < 0 || !secretLine) throw new Error('no ipsec.secrets line in the downloaded configuration');
  return { conf: text, secrets: `${secretLine.slice(2)}\n` };
}
