import { cellValue, columnLetter, contentDisposition, headerOf, numFmtOf, rowValues, SheetDef, worksheetName } from './sheet';
import { CONNECTION_STATE_WORDS, GATEWAY_SHEET, PEER_SHEET, TUNNEL_SHEET } from '../vpn/vpn-sheets';
import { CONNECTION_STATES, GATEWAY_STATES } from '../common/states';

interface Order {
  id: string;
  amount: string | number | null;
  at: Date | string | null;
  status: string;
  note?: string;
}
const ORDER_SHEET: SheetDef<Order> = {
  title: { zh: '订单', en: 'Orders' },
  fileName: 'orders',
  columns: [
    { key: 'id', type: 'text', header: { zh: '订单号', en: 'Order' } },
    { key: 'amount', type: 'number', header: { zh: '金额', en: 'Amount' }, numFmt: '#,##0.00' },
    { key: 'at', type: 'date', header: { zh: '时间', en: 'Time' } },
    { key: 'status', type: 'enum', header: { zh: '状态', en: 'Status' }, words: { paid: { zh: '已支付', en: 'Paid' } } },
    { key: 'note', type: 'text', header: { zh: '备注', en: 'Note' }, value: (o) => o.note?.toUpperCase() },
  ],
};

describe('cell values', () => {
  const at = new Date('2026-01-31T23:59:58.123Z');
  const order: Order = { id: 'ord-1', amount: '1234.50', at, status: 'paid', note: 'x' };

  it('maps each type: text, numeric strings to numbers, dates, enum words, value() accessors', () => {
    expect(rowValues(ORDER_SHEET, order, 'zh')).toEqual(['ord-1', 1234.5, at, '已支付', 'X']);
    expect(rowValues(ORDER_SHEET, order, 'en')).toEqual(['ord-1', 1234.5, at, 'Paid', 'X']);
  });

  it('turns ISO strings into dates and null, undefined or empty into empty cells', () => {
    expect(cellValue(ORDER_SHEET.columns[2], { ...order, at: '2026-01-31T23:59:58.123Z' }, 'en')).toEqual(at);
    expect(rowValues(ORDER_SHEET, { id: '', amount: null, at: null, status: '', note: undefined }, 'en')).toEqual([null, null, null, null, null]);
  });

  it('writes an unknown enum code as is rather than dropping it', () => {
    expect(cellValue(ORDER_SHEET.columns[3], { ...order, status: 'refunded' }, 'zh')).toBe('refunded');
  });

  it('refuses values that are not what the column says (a bug, not a blank)', () => {
    expect(() => cellValue(ORDER_SHEET.columns[1], { ...order, amount: 'abc' }, 'en')).toThrow(/amount: abc is not a number/);
    expect(() => cellValue(ORDER_SHEET.columns[2], { ...order, at: 'yesterday' }, 'en')).toThrow(/at: yesterday is not a date/);
  });

  it('keeps 0 as a number', () => {
    expect(cellValue(ORDER_SHEET.columns[1], { ...order, amount: 0 }, 'en')).toBe(0);
  });
});

describe('headers and formats', () => {
  it('headers are localized; date headers say the times are UTC', () => {
    expect(ORDER_SHEET.columns.map((c) => headerOf(c, 'zh'))).toEqual(['订单号', '金额', '时间 (UTC)', '状态', '备注']);
    expect(ORDER_SHEET.columns.map((c) => headerOf(c, 'en'))).toEqual(['Order', 'Amount', 'Time (UTC)', 'Status', 'Note']);
  });

  it('dates get a date format by default; numbers keep theirs; others none', () => {
    expect(ORDER_SHEET.columns.map(numFmtOf)).toEqual([undefined, '#,##0.00', 'yyyy-mm-dd hh:mm:ss', undefined, undefined]);
  });

  it('column letters', () => {
    expect([1, 9, 26, 27, 52, 53, 702, 703].map(columnLetter)).toEqual(['A', 'I', 'Z', 'AA', 'AZ', 'BA', 'ZZ', 'AAA']);
  });

  it('worksheet names lose the characters Excel refuses and stop at 31', () => {
    expect(worksheetName('a/b:c?d*e[f]g\\h')).toBe('a b c d e f g h');
    expect(worksheetName('x'.repeat(40))).toHaveLength(31);
    expect(worksheetName('//')).toBe('Sheet1');
  });
});

describe('contentDisposition', () => {
  const at = new Date('2026-11-22T04:03:46Z');

  it('has an ASCII filename and a UTF-8 filename* with the localized title', () => {
    expect(contentDisposition(TUNNEL_SHEET, 'zh', at)).toBe(
      `attachment; filename="vpn-tunnels-2026-11-22.xlsx"; filename*=UTF-8''VPN%E9%9A%A7%E9%81%93-2026-11-22.xlsx`,
    );
    expect(contentDisposition(TUNNEL_SHEET, 'en', at)).toBe(
      `attachment; filename="vpn-tunnels-2026-11-22.xlsx"; filename*=UTF-8''VPN%20tunnels-2026-11-22.xlsx`,
    );
  });

  it('escapes what RFC 5987 does not allow in filename* and what would break the quoted filename', () => {
    const header = contentDisposition({ title: { zh: "it's (a) *test*!", en: '' }, fileName: 'a "b"; c' }, 'zh', at);
    expect(header).toBe(`attachment; filename="a-b-c-2026-11-22.xlsx"; filename*=UTF-8''it%27s%20%28a%29%20%2Atest%2A%21-2026-11-22.xlsx`);
  });
});

describe('the VPN sheets', () => {
  it('have every state in both languages', () => {
    for (const s of CONNECTION_STATES) expect(CONNECTION_STATE_WORDS[s].zh && CONNECTION_STATE_WORDS[s].en).toBeTruthy();
    const gatewayState = GATEWAY_SHEET.columns.find((c) => c.key === 'resourceState');
    expect(gatewayState?.type === 'enum' && Object.keys(gatewayState.words).sort()).toEqual([...GATEWAY_STATES].sort());
  });

  it("use the guide's words for the tunnel list", () => {
    const t = {
      name: 'to-idc',
      id: 'vpntnl-1',
      gatewayName: 'gw',
      gatewayIp: '198.51.100.10',
      peerName: 'idc',
      peerIp: '203.0.113.9',
      createdAt: new Date(0),
      resourceState: 'running',
      connectionState: 'phase1_failed',
      pskSealed: 'v1:secret',
    };
    expect(TUNNEL_SHEET.columns.map((c) => headerOf(c, 'zh'))).toEqual([
      '名称',
      '资源 ID',
      'VPN 网关',
      'VPN 网关 IP',
      '对端网关',
      '对端网关 IP',
      '创建时间 (UTC)',
      '资源状态',
      '连接状态',
    ]);
    expect(rowValues(TUNNEL_SHEET, t, 'zh')).toEqual(['to-idc', 'vpntnl-1', 'gw', '198.51.100.10', 'idc', '203.0.113.9', new Date(0), '运行', '阶段 1 失败']);
    expect(rowValues(TUNNEL_SHEET, t, 'en').slice(7)).toEqual(['Running', 'Phase 1 failed']);
  });

  it('never carry a PSK column', () => {
    for (const sheet of [GATEWAY_SHEET, PEER_SHEET, TUNNEL_SHEET]) {
      expect(sheet.columns.map((c) => c.key).join(' ')).not.toMatch(/psk|secret|key/i);
    }
  });

  it('gateway rows: refs with CIDR, charge type words, empty expiry', () => {
    const g = {
      name: 'gw',
      id: 'vpngw-1',
      vpcName: 'prod',
      vpcCidr: '10.1.0.0/16',
      subnetName: 's1',
      subnetCidr: '10.1.1.0/24',
      externalIp: '198.51.100.10',
      tunnelCount: 3,
      createdAt: new Date(0),
      expiresAt: null,
      chargeType: 'hourly',
      resourceState: 'expired',
    };
    expect(rowValues(GATEWAY_SHEET, g, 'zh')).toEqual([
      'gw',
      'vpngw-1',
      'prod (10.1.0.0/16)',
      's1 (10.1.1.0/24)',
      '198.51.100.10',
      3,
      new Date(0),
      null,
      '按时',
      '已过期',
    ]);
    expect(rowValues(GATEWAY_SHEET, g, 'en').slice(8)).toEqual(['Hourly', 'Expired']);
    // A reference that is gone (left join): an empty cell, not "null (null)".
    expect(rowValues(GATEWAY_SHEET, { ...g, vpcName: null, vpcCidr: null, externalIp: null }, 'en').slice(2, 5)).toEqual([null, 's1 (10.1.1.0/24)', null]);
  });
});
