// One inventory resource: a server-paginated table, a create dialog and a guarded delete.
import { useState, type ReactNode } from 'react';
import { App, Button, Form, Modal, Table, type FormInstance, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { useConfirmDelete } from '../../components/deleteGuard';
import { useSubmit } from '../../components/errors';
import { listTableProps, ListToolbar } from '../../components/ListToolbar';
import { useList, type ListParams, type Page } from '../../components/useList';
import { useUrlParams } from '../../components/urlSearch';

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
  const { message } = App.useApp();
  const confirmDelete = useConfirmDelete();
  const [open, setOpen] = useState(false);
  const [form] = Form.useForm<Record<string, unknown>>();
  // Its search lives in the URL under a name of its own (?q-vpc=…): the inventory page holds several lists.
  const searchKey = `q-${props.testId.replace(/-table$/, '')}`;
  const [url, setUrl] = useUrlParams([searchKey]);
  const q = url[searchKey];
  const list = useList<T>(props.load, { filters: { ...props.filters, q } });

  const { busy, submit } = useSubmit(form, async (v) => {
    await props.create(v);
    void message.success(t('common.saved'));
    setOpen(false);
    form.resetFields();
    void list.reload();
  });

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
                  confirmDelete({
                    title: t('common.delete'),
                    content: t('op.deleteConfirm', { name: row.name ?? row.address ?? row.id }),
                    run: async () => {
                      await props.remove!(row);
                      void list.reload();
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
      <ListToolbar
        onCreate={() => setOpen(true)}
        createLabel={props.createLabel}
        onSearch={(v) => setUrl(searchKey, v)}
        searchDefault={q}
        onReload={list.reload}
        extra={props.extra}
      />
      <Table<T> data-testid={props.testId} {...listTableProps(list, t)} columns={columns} />
      <Modal
        open={open}
        title={props.createLabel}
        onOk={submit}
        onCancel={() => setOpen(false)}
        okText={t('common.create')}
        cancelText={t('common.cancel')}
        confirmLoading={busy}
        forceRender
      >
        <Form form={form} layout="vertical">
          {props.fields(form)}
        </Form>
      </Modal>
    </>
  );
}
