import { useEffect, useState } from 'react';
import { Form, Input, InputNumber, Select, Tabs, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, call, type Schemas } from '../../api/client';
import { fmtTime } from '../../components/format';
import { nameRules } from '../../components/rules';
import { isIpv4, parseCidr } from '../../shared';
import { useUrlParams } from '../../components/urlSearch';
import { CrudTab } from './CrudTab';

type Ref = Pick<Schemas['TenantDto'] | Schemas['DataCenterDto'], 'id' | 'name'>;

function useRefs() {
  const [tenants, setTenants] = useState<Ref[]>([]);
  const [dcs, setDcs] = useState<Ref[]>([]);
  const [vpcs, setVpcs] = useState<Schemas['VpcDto'][]>([]);
  const [subnets, setSubnets] = useState<Schemas['SubnetDto'][]>([]);
  const reload = () => {
    void call(api.GET('/api/v1/tenants', { params: { query: { limit: 1000 } } }))
      .then((p) => setTenants(p.items))
      .catch(() => undefined);
    void call(api.GET('/api/v1/data-centers', { params: { query: { limit: 1000 } } }))
      .then((p) => setDcs(p.items))
      .catch(() => undefined);
    void call(api.GET('/api/v1/vpcs', { params: { query: { limit: 1000 } } }))
      .then((p) => setVpcs(p.items))
      .catch(() => undefined);
    void call(api.GET('/api/v1/subnets', { params: { query: { limit: 1000 } } }))
      .then((p) => setSubnets(p.items))
      .catch(() => undefined);
  };
  useEffect(reload, []);
  return { tenants, dcs, vpcs, subnets, reload };
}

export default function Inventory() {
  const { t } = useTranslation();
  const refs = useRefs();
  // The open tab lives in the URL (?tab=vpcs), with each tab's search (CrudTab).
  const [url, setUrl] = useUrlParams(['tab'] as const);
  const tab = url.tab ?? 'dcs';
  const setTab = (k: string) => setUrl('tab', k);
  const name = (list: Ref[], id: string) => list.find((x) => x.id === id)?.name ?? id;
  const req = [{ required: true, message: t('validation.required') }];
  const cidrRule = {
    validator: async (_r: unknown, v: string | undefined) => {
      if (v && !parseCidr(v)) throw new Error(t('validation.cidr', { value: v }));
    },
  };
  const ipRule = {
    validator: async (_r: unknown, v: string | undefined) => {
      if (v && !isIpv4(v)) throw new Error(t('op.ipRule'));
    },
  };
  const tenantSelect = <Select showSearch optionFilterProp="label" options={refs.tenants.map((x) => ({ value: x.id, label: `${x.name} (${x.id})` }))} />;
  const dcSelect = <Select options={refs.dcs.map((x) => ({ value: x.id, label: x.name }))} />;
  const created = { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => fmtTime(v) };
  const after = async <R,>(p: Promise<R>) => {
    const r = await p;
    refs.reload();
    return r;
  };

  return (
    <>
      <Typography.Title level={4}>{t('menu.inventory')}</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={setTab}
        destroyOnHidden
        items={[
          {
            key: 'dcs',
            label: t('op.dataCenters'),
            children: (
              <CrudTab<Schemas['DataCenterDto']>
                testId="dc-table"
                load={(p) => call(api.GET('/api/v1/data-centers', { params: { query: p } }))}
                columns={[
                  { title: t('common.name'), dataIndex: 'name' },
                  { title: t('common.id'), dataIndex: 'id' },
                  { title: t('op.region'), dataIndex: 'region' },
                  created,
                ]}
                createLabel={t('op.createDataCenter')}
                fields={() => (
                  <>
                    <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
                      <Input />
                    </Form.Item>
                    <Form.Item name="region" label={t('op.region')} rules={req}>
                      <Input placeholder="cn-shanghai" />
                    </Form.Item>
                  </>
                )}
                create={(v) => after(call(api.POST('/api/v1/data-centers', { body: v as Schemas['CreateDataCenterDto'] })))}
                remove={(r) => after(call(api.DELETE('/api/v1/data-centers/{id}', { params: { path: { id: r.id } } })))}
              />
            ),
          },
          {
            key: 'mts',
            label: t('op.machineTypes'),
            children: (
              <CrudTab<Schemas['MachineTypeDto']>
                testId="machine-type-table"
                load={(p) => call(api.GET('/api/v1/machine-types', { params: { query: p } }))}
                columns={[
                  { title: t('common.name'), dataIndex: 'name' },
                  { title: t('common.id'), dataIndex: 'id' },
                  { title: t('op.architecture'), dataIndex: 'architecture' },
                  created,
                ]}
                createLabel={t('op.createMachineType')}
                fields={() => (
                  <>
                    <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
                      <Input />
                    </Form.Item>
                    <Form.Item name="architecture" label={t('op.architecture')} rules={req}>
                      <Input placeholder="x86_64" />
                    </Form.Item>
                  </>
                )}
                create={(v) => call(api.POST('/api/v1/machine-types', { body: v as Schemas['CreateMachineTypeDto'] }))}
                remove={(r) => call(api.DELETE('/api/v1/machine-types/{id}', { params: { path: { id: r.id } } }))}
              />
            ),
          },
          {
            key: 'vpcs',
            label: t('op.vpcs'),
            children: (
              <CrudTab<Schemas['VpcDto']>
                testId="vpc-table"
                load={(p) => call(api.GET('/api/v1/vpcs', { params: { query: p } }))}
                columns={[
                  { title: t('common.name'), dataIndex: 'name' },
                  { title: t('common.id'), dataIndex: 'id' },
                  { title: t('op.cidr'), dataIndex: 'cidr' },
                  { title: t('billing.tenant'), dataIndex: 'tenantId', render: (v: string) => name(refs.tenants, v) },
                  { title: t('op.dataCenter'), dataIndex: 'dataCenterId', render: (v: string) => name(refs.dcs, v) },
                  created,
                ]}
                createLabel={t('op.createVpc')}
                fields={() => (
                  <>
                    <Form.Item name="tenantId" label={t('billing.tenant')} rules={req}>
                      {tenantSelect}
                    </Form.Item>
                    <Form.Item name="dataCenterId" label={t('op.dataCenter')} rules={req}>
                      {dcSelect}
                    </Form.Item>
                    <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
                      <Input />
                    </Form.Item>
                    <Form.Item name="cidr" label={t('op.cidr')} rules={[...req, cidrRule]}>
                      <Input placeholder="10.1.0.0/16" />
                    </Form.Item>
                  </>
                )}
                create={(v) => after(call(api.POST('/api/v1/vpcs', { body: v as Schemas['CreateVpcDto'] })))}
                remove={(r) => after(call(api.DELETE('/api/v1/vpcs/{id}', { params: { path: { id: r.id } } })))}
              />
            ),
          },
          {
            key: 'subnets',
            label: t('op.subnets'),
            children: (
              <CrudTab<Schemas['SubnetDto']>
                testId="subnet-table"
                load={(p) => call(api.GET('/api/v1/subnets', { params: { query: p } }))}
                columns={[
                  { title: t('common.name'), dataIndex: 'name' },
                  { title: t('common.id'), dataIndex: 'id' },
                  { title: t('op.cidr'), dataIndex: 'cidr' },
                  { title: t('gateway.vpc'), dataIndex: 'vpcId', render: (v: string) => name(refs.vpcs, v) },
                  created,
                ]}
                createLabel={t('op.createSubnet')}
                fields={() => (
                  <>
                    <Form.Item name="vpcId" label={t('gateway.vpc')} rules={req}>
                      <Select showSearch optionFilterProp="label" options={refs.vpcs.map((x) => ({ value: x.id, label: `${x.name} (${x.cidr})` }))} />
                    </Form.Item>
                    <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
                      <Input />
                    </Form.Item>
                    <Form.Item name="cidr" label={t('op.cidr')} rules={[...req, cidrRule]}>
                      <Input placeholder="10.1.1.0/24" />
                    </Form.Item>
                  </>
                )}
                create={(v) => after(call(api.POST('/api/v1/subnets', { body: v as Schemas['CreateSubnetDto'] })))}
                remove={(r) => after(call(api.DELETE('/api/v1/subnets/{id}', { params: { path: { id: r.id } } })))}
              />
            ),
          },
          {
            key: 'ips',
            label: t('op.externalIps'),
            children: (
              <CrudTab<Schemas['ExternalIpDto']>
                testId="external-ip-table"
                load={(p) => call(api.GET('/api/v1/external-ips', { params: { query: p } }))}
                columns={[
                  { title: t('op.address'), render: (_, x) => `${x.address}/${x.prefixLength}` },
                  { title: t('common.id'), dataIndex: 'id' },
                  { title: t('op.routerIp'), dataIndex: 'routerIp' },
                  { title: t('billing.tenant'), dataIndex: 'tenantId', render: (v: string) => name(refs.tenants, v) },
                  { title: t('op.dataCenter'), dataIndex: 'dataCenterId', render: (v: string) => name(refs.dcs, v) },
                  { title: t('op.boundTo'), dataIndex: 'boundTo', render: (v: string | null) => (v ? <Tag color="blue">{v}</Tag> : <Tag>{t('op.free')}</Tag>) },
                  created,
                ]}
                createLabel={t('op.createExternalIp')}
                fields={() => (
                  <>
                    <Form.Item name="tenantId" label={t('billing.tenant')} rules={req}>
                      {tenantSelect}
                    </Form.Item>
                    <Form.Item name="dataCenterId" label={t('op.dataCenter')} rules={req}>
                      {dcSelect}
                    </Form.Item>
                    <Form.Item name="address" label={t('op.address')} rules={[...req, ipRule]}>
                      <Input placeholder="198.51.100.10" />
                    </Form.Item>
                    <Form.Item name="prefixLength" label={t('op.prefixLength')} rules={[{ type: 'integer', min: 8, max: 32, message: t('op.prefixRule') }]}>
                      <InputNumber min={8} max={32} placeholder="24" />
                    </Form.Item>
                    <Form.Item name="routerIp" label={t('op.routerIp')} rules={[ipRule]} extra={t('op.routerIpHint')}>
                      <Input />
                    </Form.Item>
                  </>
                )}
                create={(v) => call(api.POST('/api/v1/external-ips', { body: v as Schemas['CreateExternalIpDto'] }))}
                remove={(r) => call(api.DELETE('/api/v1/external-ips/{id}', { params: { path: { id: r.id } } }))}
              />
            ),
          },
          {
            key: 'instances',
            label: t('op.instances'),
            children: (
              <CrudTab<Schemas['InstanceDto']>
                testId="instance-table"
                load={(p) => call(api.GET('/api/v1/instances', { params: { query: p } }))}
                columns={[
                  { title: t('common.name'), dataIndex: 'name' },
                  { title: t('common.id'), dataIndex: 'id' },
                  { title: t('op.privateIp'), dataIndex: 'privateIp' },
                  { title: t('gateway.subnet'), dataIndex: 'subnetId', render: (v: string) => name(refs.subnets, v) },
                  { title: t('billing.tenant'), dataIndex: 'tenantId', render: (v: string) => name(refs.tenants, v) },
                  created,
                ]}
                createLabel={t('op.createInstance')}
                fields={() => (
                  <>
                    <Form.Item name="subnetId" label={t('gateway.subnet')} rules={req}>
                      <Select showSearch optionFilterProp="label" options={refs.subnets.map((x) => ({ value: x.id, label: `${x.name} (${x.cidr})` }))} />
                    </Form.Item>
                    <Form.Item name="name" label={t('common.name')} rules={nameRules(t)}>
                      <Input />
                    </Form.Item>
                    <Form.Item name="privateIp" label={t('op.privateIp')} rules={[...req, ipRule]}>
                      <Input placeholder="10.1.1.10" />
                    </Form.Item>
                  </>
                )}
                create={(v) => call(api.POST('/api/v1/instances', { body: v as Schemas['CreateInstanceDto'] }))}
                remove={(r) => call(api.DELETE('/api/v1/instances/{id}', { params: { path: { id: r.id } } }))}
              />
            ),
          },
        ]}
      />
    </>
  );
}
