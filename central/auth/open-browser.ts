import { spawn } from 'node:child_process';

/**
 * Opens `url` in the user's browser where there is one (xdg-open on Linux with a display, `open` on
 * macOS). Never fails: without a browser the printed URL is the way. Returns whether it tried.
 */
export function openBrowser(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): boolean {
  let command: string | undefined;
  if (platform === 'darwin') command = 'open';
  else if (platform === 'linux' && (env.DISPLAY || env.WAYLAND_DISPLAY)) command = 'xdg-open';
  if (!command) return false;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined); // not installed: the URL is printed anyway
    child.unref();
    return true;
  } catch {
    return false;
  }
}
