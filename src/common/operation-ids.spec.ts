import { completeOperations, operationId, summaryFromOperationId } from './operation-ids';

describe('operation ids', () => {
  it('name the conventional handlers verb + resource', () => {
    expect(operationId('TunnelsController', 'list')).toBe('listVpnTunnels');
    expect(operationId('TunnelsController', 'create')).toBe('createVpnTunnel');
    expect(operationId('TunnelsController', 'get')).toBe('getVpnTunnel');
    expect(operationId('GatewaysController', 'remove')).toBe('deleteVpnGateway');
    expect(operationId('PeersController', 'batchRemove')).toBe('batchDeletePeerGateways');
  });

  it('use the table for handlers outside the convention, and stay camelCase for unknown ones', () => {
    expect(operationId('TunnelsController', 'updateIke')).toBe('updateVpnTunnelIkePolicy');
    expect(operationId('NewThingsController', 'frobnicate')).toBe('frobnicateNewThings');
  });

  it('read a summary from an id, acronyms kept', () => {
    expect(summaryFromOperationId('listVpnTunnels')).toBe('List VPN tunnels');
    expect(summaryFromOperationId('deleteVpcRouterToken')).toBe('Delete VPC router token');
  });

  it('give every operation a summary and mark operations without security as public', () => {
    const doc = completeOperations({
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/a': {
          get: { operationId: 'getHealth', responses: {} },
          post: { operationId: 'createThing', summary: 'Own', security: [{ bearer: [] }], responses: {} },
        },
      },
    });
    expect(doc.paths['/a'].get).toMatchObject({ summary: 'Get health', security: [] });
    expect(doc.paths['/a'].post).toMatchObject({ summary: 'Own', security: [{ bearer: [] }] });
  });
});
