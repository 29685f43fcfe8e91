/**
 * Electron-free decisions for the app's windows: how big the window opens on this screen, and
 * which downloads from the embedded portal may be saved (after the user picks where).
 */

/** The portal's own recommendation is 1366×768: at or below that the window opens maximised. */
export function initialWindowSize(workArea: { width: number; height: number }): { width: number; height: number; maximize: boolean } {
  const maximize = workArea.width <= 1440 || workArea.height <= 820;
  const width = Math.max(960, Math.min(1280, Math.round(workArea.width * 0.85)));
  const height = Math.max(640, Math.min(860, Math.round(workArea.height * 0.9)));
  return { width: Math.min(width, workArea.width), height: Math.min(height, workArea.height), maximize };
}

/** Files a government portal never needs to hand a clerk, and that would run if opened. */
const EXECUTABLE = /\.(exe|msi|msp|msix|appx|bat|cmd|com|scr|pif|cpl|ps1|psm1|vbs|vbe|js|jse|wsf|wsh|hta|jar|lnk|reg|dll|sys|ocx|inf|url|scf|application|gadget|iso|img|vhd|vhdx)$/i;

export type DownloadDecision =
  | { allowed: true; fileName: string }
  | { allowed: false; code: 'DOWNLOAD_EXECUTABLE'; message: string; messageEn: string };

/** Receipts and forms (PDF, OFD, Office, images, archives) are offered for saving; programs never. */
export function downloadDecision(suggested: string): DownloadDecision {
  // Only the last path segment, without characters Windows refuses or that hide the extension.
  // eslint-disable-next-line no-control-regex
  let name = (suggested.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f<>:"|?*\u200b-\u200f\u202a-\u202e]/g, '').trim();
  name = name.replace(/[. ]+$/, '');
  if (!name) name = '下载文件';
  if (EXECUTABLE.test(name)) {
    return { allowed: false, code: 'DOWNLOAD_EXECUTABLE', message: `已阻止下载可执行文件“${name}”：政务服务网的回执和表格不会是程序文件`, messageEn: `Blocked the executable download "${name}": portal receipts and forms are never programs` };
  }
  return { allowed: true, fileName: name.slice(0, 180) };
}
