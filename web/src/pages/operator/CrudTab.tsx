// One inventory resource: a server-paginated table, a create dialog and a guarded delete.
import { useState, type ReactNode } from 'react';
import { App, Button, Form, Modal, Table, type FormInstance, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText, reportError, validated } from '../../components/errors';
import { ListToolbar, pagination } from '../../components/ListToolbar';
import { useList, type ListParams, type Page } from '../../components/useList';

export function CrudTab<T extends { id: string; name?: string; address?: string }>(props: {
  testId: string;
  load: (p: ListParams) => Promise<Page<T>>;
  columns: TableColumnsType<T>;
  createLabel: string;
  fields: (form: FormInstance) => ReactNode;
  create: (values: Record<string, unknown>) => Promise<unknown>;
  remove?: (row: T) => Promise<unknown>;
  filters?: Record<string, string | undefined>;
  extra?: ReactNode;
}) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm();
  const list = useList<T>(props.load, { filters: props.filters });

  const submit = async () => {
    const v = (await validated(form)) as Record<string, unknown> | null;
    if (!v) return;
    setBusy(true);
    try {
      await props.create(v);
      void message.success(t('common.saved'));
      setOpen(false);
      form.resetFields();
      void list.reload();
    } catch (e) {
      reportError(message, e, form);
    } finally {
      setBusy(false);
    }
  };

  const columns: TableColumnsType<T> = [
    ...props.columns,
    ...(props.remove
      ? [
          {
            title: t('common.actions'),
            width: 100,
            render: (_: unknown, row: T) => (
              <Button
                type="link"
                size="small"
                danger
                data-testid="row-delete"
                onClick={() =>
                  modal.confirm({
                    title: t('common.delete'),
                    content: t('op.deleteConfirm', { name: row.name ?? row.address ?? row.id }),
                    okText: t('common.delete'),
                    okButtonProps: { danger: true, 'data-testid': 'confirm-delete' },
                    cancelText: t('common.cancel'),
                    onOk: async () => {
                      try {
                        await props.remove!(row);
                        void list.reload();
                      } catch (e) {
                        void message.error(errorText(e));
                      }
                    },
                  })
                }
              >
                {t('common.delete')}
              </Button>
            ),
          },
        ]
      : []),
  ];

  return (
    <>
      <ListToolbar onCreate={() => setOpen(true)} createLabel={props.createLabel} onSearch={list.search} onReload={list.reload} extra={props.extra} />
      <Table<T> data-testid={props.testId} rowKey="id" size="middle" loading={list.loading} columns={columns} dataSource={list.data.items} pagination={pagination(list.data, list.setPage, t)} />
      <Modal open={open} title={props.createLabel} onOk={submit} onCancel={() => setOpen(false)} okText={t('common.create')} cancelText={t('common.cancel')} confirmLoading={busy} forceRender>
        <Form form={form} layout="vertical">
          {props.fields(form)}
        </Form>
      </Modal>
    </>
  );
}
