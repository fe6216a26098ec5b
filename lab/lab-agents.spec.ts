import { LabNames } from './lab-names';
import { agentArgv, agentTargets, formatAgents } from './lab-agents';
import { demoInventory } from './lab-inventory';

describe('lab route agents', () => {
  const names = new LabNames('vl');

  it('targets every VPC router and every registered instance', () => {
    const inv = demoInventory();
    inv.vpcs[0].subnets[0].instances[0].id = 'inst-0000aaaa';
    const targets = agentTargets(names, inv);
    expect(targets).toEqual([
      { name: 'demo-vpc-a', kind: 'router', targetId: 'vpc-lab00001', namespace: 'vl-vpc-lab00001' },
      { name: 'vm-a1', kind: 'instance', targetId: 'inst-0000aaaa', namespace: 'vl-vm-vm-a1' },
      { name: 'demo-vpc-c', kind: 'router', targetId: 'vpc-lab00002', namespace: 'vl-vpc-lab00002' },
    ]);
  });

  it('refuses two targets with one name (their files would clash)', () => {
    const inv = demoInventory();
    inv.vpcs[0].subnets[0].instances[0] = { name: 'demo-vpc-a', privateIp: '10.1.1.10', id: 'inst-1' };
    expect(() => agentTargets(names, inv)).toThrow(/two agent targets are named 'demo-vpc-a'/);
  });

  it('passes the token as a file and the namespace as --netns', () => {
    const argv = agentArgv('/repo/agent/route_agent.py', {
      name: 'vm-a1',
      kind: 'instance',
      targetId: 'i',
      namespace: 'vl-vm-vm-a1',
      apiUrl: 'http://127.0.0.1:8080',
      tokenFile: '/s/agents/vm-a1.token',
      stateFile: '/s/agents/vm-a1.json',
      logFile: '/s/agents/vm-a1.log',
    });
    expect(argv).toEqual([
      '/repo/agent/route_agent.py',
      '--api-url',
      'http://127.0.0.1:8080',
      '--token-file',
      '/s/agents/vm-a1.token',
      '--state-file',
      '/s/agents/vm-a1.json',
      '--netns',
      'vl-vm-vm-a1',
    ]);
  });

  it('formats the status', () => {
    expect(formatAgents([])).toMatch(/no route agents/);
    const text = formatAgents([
      { name: 'vm-a1', kind: 'instance', namespace: 'n', pid: 42, alive: true, lastLog: 'applied version v1' },
      { name: 'demo-vpc-a', kind: 'router', namespace: 'n', alive: false, lastLog: '' },
    ]);
    expect(text).toMatch(/vm-a1 .*running \(pid 42\) .*applied version v1/);
    expect(text).toMatch(/demo-vpc-a .*STOPPED .*\(no log yet\)/);
  });
});
