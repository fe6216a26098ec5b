import { decodeFlatResponse, encodeCommand } from './vici-probe';

describe('VICI probe codec', () => {
  it('frames a named command request', () => {
    expect([...encodeCommand('version')]).toEqual([0, 0, 0, 9, 0, 7, ...Buffer.from('version')]);
  });

  it('reads the key/values of a response', () => {
    const kv = (k: string, v: string) => {
      const value = Buffer.from(v);
      const len = Buffer.alloc(2);
      len.writeUInt16BE(value.length);
      return Buffer.concat([Buffer.from([3, k.length]), Buffer.from(k), len, value]);
    };
    const payload = Buffer.concat([Buffer.from([1]), kv('daemon', 'charon'), kv('version', '5.9.8')]);
    expect(decodeFlatResponse(payload)).toEqual({ daemon: 'charon', version: '5.9.8' });
    expect(() => decodeFlatResponse(Buffer.from([2]))).toThrow(/unexpected VICI packet type 2/);
  });
});
