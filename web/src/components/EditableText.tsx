import { App, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText } from './errors';

/** Inline edit of a name or remark: saves through `save`, shows the API's message when refused. */
export function EditableText({
  value,
  save,
  testId,
  max,
  required,
}: {
  value: string | null | undefined;
  save: (v: string) => Promise<unknown>;
  testId: string;
  max: number;
  required?: boolean;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <Typography.Text
      data-testid={testId}
      editable={{
        maxLength: max,
        tooltip: t('common.edit'),
        onChange: async (v) => {
          if (v === (value ?? '')) return;
          if (required && !v.trim()) {
            void message.error(t('validation.nameRule'));
            return;
          }
          try {
            await save(v);
            void message.success(t('common.saved'));
          } catch (e) {
            void message.error(errorText(e));
          }
        },
      }}
    >
      {value ?? ''}
    </Typography.Text>
  );
}
