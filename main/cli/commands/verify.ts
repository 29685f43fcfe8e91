import { AssistantError } from '../../errors.ts';
import type { CliIO } from '../io.ts';

export async function run(_args: string[], _io: CliIO): Promise<number> {
  throw new AssistantError('NOT_IMPLEMENTED', '该命令尚未实现', { en: 'command not implemented yet' });
}
