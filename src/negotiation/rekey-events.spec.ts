import { describeRekey } from './rekey-events';

describe('describeRekey', () => {
  it('names the old and new IKE_SA', () => {
    expect(describeRekey('ike-rekey', { old: { uniqueid: '3', state: 'REKEYED' }, new: { uniqueid: '5', state: 'ESTABLISHED' } })).toBe(
      'IKE_SA rekeyed (#3 -> #5)',
    );
  });

  it('names each rekeyed CHILD_SA with its SPIs', () => {
    const body = {
      uniqueid: '3',
      state: 'ESTABLISHED',
      'child-sas': {
        'ipsvpn_t1-7': { old: { name: 'ipsvpn_t1', 'spi-in': 'c1', 'spi-out': 'c2' }, new: { name: 'ipsvpn_t1', 'spi-in': 'c3', 'spi-out': 'c4' } },
      },
    };
    expect(describeRekey('child-rekey', body)).toBe('CHILD_SA ipsvpn_t1 rekeyed (SPIs c1_i c2_o -> c3_i c4_o)');
  });

  it('survives bodies without the expected parts', () => {
    expect(describeRekey('ike-rekey', undefined)).toBe('IKE_SA rekeyed');
    expect(describeRekey('child-rekey', 'x')).toBe('CHILD_SA rekeyed');
  });
});
