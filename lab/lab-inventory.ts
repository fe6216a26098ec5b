// The lab's demo inventory (what `lab up` builds and registers) and address helpers. Pure.
import { intToIp, ipToInt, parseCidr } from '../src/common/cidr';

export interface InstanceSpec {
  name: string;
  privateIp: string;
  id?: string; // the API's id once registered
}
export interface SubnetSpec {
  name: string;
  cidr: string;
  instances: InstanceSpec[];
  id: string; // the API's id, or a local stand-in when the lab runs without the API
}
export interface VpcSpec {
  name: string;
  cidr: string;
  subnets: SubnetSpec[];
  id: string;
}
export interface LabInventory {
  dataCenter: { name: string; region: string; id?: string };
  machineType: { name: string; architecture: string; id?: string };
  tenantName: string;
  tenantId?: string;
  vpcs: VpcSpec[];
  externalIps: string[];
}

// The internet segment's routers: the .1 of each TEST-NET /24, all on one bridge.
export const INTERNET_ROUTER_CIDRS = ['198.51.100.1/24', '203.0.113.1/24', '192.0.2.1/24'];

export function range(from: string, to: string): string[] {
  const out: string[] = [];
  for (let n = ipToInt(from); n <= ipToInt(to); n++) out.push(intToIp(n));
  return out;
}

// Ids stand in for the API's when the lab runs with `register: false`; they have the API's shape
// (prefix + 8 characters) so that lab-names derives the same kind of names.
export function demoInventory(): LabInventory {
  return {
    dataCenter: { name: 'lab-dc-1', region: 'lab-region-1' },
    machineType: { name: 'lab-x86', architecture: 'x86_64' },
    tenantName: 'demo',
    vpcs: [
      {
        id: 'vpc-lab00001',
        name: 'demo-vpc-a',
        cidr: '10.1.0.0/16',
        subnets: [
          {
            id: 'subnet-lab00011',
            name: 'demo-subnet-a1',
            cidr: '10.1.1.0/24',
            instances: [
              { name: 'vm-a1', privateIp: '10.1.1.10' },
              { name: 'vm-a2', privateIp: '10.1.1.11' },
            ],
          },
          { id: 'subnet-lab00012', name: 'demo-subnet-a2', cidr: '10.1.2.0/24', instances: [{ name: 'vm-b1', privateIp: '10.1.2.10' }] },
        ],
      },
      {
        id: 'vpc-lab00002',
        name: 'demo-vpc-c',
        cidr: '192.168.0.0/16',
        subnets: [{ id: 'subnet-lab00021', name: 'demo-subnet-c1', cidr: '192.168.1.0/24', instances: [{ name: 'vm-c1', privateIp: '192.168.1.10' }] }],
      },
    ],
    externalIps: range('198.51.100.10', '198.51.100.49'),
  };
}

function mustParse(cidr: string) {
  const parsed = parseCidr(cidr);
  if (!parsed) throw new Error(`invalid CIDR '${cidr}'`);
  return parsed;
}

// The n-th address of a CIDR: hostAddress('10.1.1.0/24', 1) = '10.1.1.1'.
export function hostAddress(cidr: string, n: number): string {
  const c = mustParse(cidr);
  if (n < 1 || n >= 2 ** (32 - c.prefix) - 1) throw new Error(`${cidr} has no host number ${n}`);
  return intToIp(c.network + n);
}

export function prefixLength(cidr: string): number {
  return mustParse(cidr).prefix;
}

// '203.0.113.10' -> '203.0.113.1/24': the internet router of a public address.
export function internetRouterFor(publicIp: string): { router: string; prefixLength: number } {
  for (const cidr of INTERNET_ROUTER_CIDRS) {
    const c = mustParse(cidr);
    const ip = ipToInt(publicIp);
    if (ip >>> 8 === c.network >>> 8) {
      return { router: cidr.split('/')[0], prefixLength: c.prefix };
    }
  }
  throw new Error(`public IP ${publicIp} is not on the lab internet (TEST-NET ${INTERNET_ROUTER_CIDRS.join(', ')})`);
}

export function findInstance(inv: LabInventory, name: string): { vpc: VpcSpec; subnet: SubnetSpec; instance: InstanceSpec } | null {
  for (const vpc of inv.vpcs) {
    for (const subnet of vpc.subnets) {
      const instance = subnet.instances.find((i) => i.name === name);
      if (instance) return { vpc, subnet, instance };
    }
  }
  return null;
}
