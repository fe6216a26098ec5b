import { DeleteOutlined, DownloadOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Input, Space, Tooltip, type TableProps } from 'antd';
import { useTranslation } from 'react-i18next';
import type { List } from './useList';

export function ListToolbar(props: {
  onCreate?: () => void;
  createLabel?: string;
  onSearch?: (q: string) => void;
  /** The search box's starting text (a search kept in the URL) and a placeholder that fits the page. */
  searchDefault?: string;
  searchPlaceholder?: string;
  onReload: () => void;
  onBatchDelete?: () => void;
  selectedCount?: number;
  onExport?: () => void;
  exporting?: boolean;
  extra?: React.ReactNode;
}) {
  const { t } = useTranslation();
  return (
    <div style={{ display: 'flex', justifyContent: 'space-between', marginBottom: 16, gap: 8, flexWrap: 'wrap' }}>
      <Space wrap>
        {props.onCreate && (
          <Button type="primary" icon={<PlusOutlined />} onClick={props.onCreate} data-testid="create-button">
            {props.createLabel ?? t('common.create')}
          </Button>
        )}
        {props.onBatchDelete && (
          <Button danger icon={<DeleteOutlined />} disabled={!props.selectedCount} onClick={props.onBatchDelete} data-testid="batch-delete">
            {t('common.batchDelete')}
            {props.selectedCount ? ` (${props.selectedCount})` : ''}
          </Button>
        )}
        {props.extra}
      </Space>
      <Space wrap>
        {props.onSearch && (
          <Input.Search
            data-testid="list-search"
            allowClear
            aria-label={props.searchPlaceholder ?? t('common.searchPlaceholder')}
            placeholder={props.searchPlaceholder ?? t('common.searchPlaceholder')}
            defaultValue={props.searchDefault}
            key={props.searchDefault ?? ''}
            onSearch={props.onSearch}
            style={{ width: 280 }}
          />
        )}
        <Tooltip title={t('common.reload')}>
          <Button icon={<ReloadOutlined />} onClick={props.onReload} data-testid="reload" aria-label={t('common.reload')} />
        </Tooltip>
        {props.onExport && (
          <Tooltip title={t('common.exportExcel')}>
            <Button icon={<DownloadOutlined />} onClick={props.onExport} loading={props.exporting} data-testid="export-xlsx">
              {t('common.excel')}
            </Button>
          </Tooltip>
        )}
      </Space>
    </div>
  );
}

/**
 * The Table props of a useList list: rows keyed by id, its loading state, server-side pages, and
 * sorting by the columns marked `sorter` (the Table reports paging to onChange too: that is the pagination's).
 */
export function listTableProps<T>(
  list: List<T>,
  t: (k: string, o?: Record<string, unknown>) => string,
): Pick<TableProps<T>, 'rowKey' | 'size' | 'loading' | 'dataSource' | 'pagination' | 'onChange' | 'showSorterTooltip'> {
  const { data } = list;
  return {
    rowKey: 'id',
    size: 'middle',
    // The sort arrows say it; a "click to sort" tooltip per sortable header is a trigger component
    // each on the list's first render (bench/console.ts: the tunnel list's cold load).
    showSorterTooltip: false,
    loading: list.loading,
    dataSource: data.items,
    pagination: {
      current: Math.floor(data.offset / data.limit) + 1,
      pageSize: data.limit,
      total: data.total,
      showSizeChanger: true,
      pageSizeOptions: [10, 20, 50, 100],
      showTotal: (total: number) => t('common.total', { count: total }),
      onChange: list.setPage,
    },
    onChange: (_p, _f, sorter, extra) => {
      if (extra.action !== 'sort') return;
      const s = Array.isArray(sorter) ? sorter[0] : sorter;
      list.setSort(s?.order ? String(s.field) : undefined, s?.order === 'ascend' ? 'asc' : s?.order ? 'desc' : undefined);
    },
  };
}
