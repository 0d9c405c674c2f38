/**
 * The provider's HTML pages: login, device-code entry and confirmation, success, logout, error.
 * Server-rendered, self-contained (inline CSS, no scripts, no external fonts or images), every
 * interpolated value escaped.
 */

const STYLE = `body{font-family:system-ui,sans-serif;background:#f4f5f7;margin:0;padding:40px 16px}
.box{max-width:340px;margin:0 auto;background:#fff;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.2);padding:24px 28px}
h1{font-size:1.4em;font-weight:500;margin:0 0 16px}label{display:block;font-size:.9em;margin:12px 0 4px}
input[type=text],input[type=password]{width:100%;box-sizing:border-box;height:38px;font-size:16px;padding:0 8px;border:1px solid #bbb;border-radius:4px}
button{margin-top:18px;width:100%;height:38px;font-size:15px;border:0;border-radius:4px;background:#1f6feb;color:#fff;cursor:pointer}
button.link{background:none;color:#555;margin-top:8px}.error{color:#b00020}.realm{color:#666;font-size:.85em;margin:0 0 12px}code{font-size:1.6em}`;

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"'`]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main class="box">${body}</main></body></html>`;
}

export interface LoginPageInput {
  action: string;
  abortAction: string;
  csrf: string;
  realm: string;
  clientName: string;
  username?: string;
  error?: string;
}

export function loginPage(input: LoginPageInput): string {
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p class="realm">Realm <b>${escapeHtml(input.realm)}</b> · ${escapeHtml(input.clientName)}</p>
${input.error ? `<p class="error" role="alert">${escapeHtml(input.error)}</p>` : ''}
<form method="post" action="${escapeHtml(input.action)}" autocomplete="off">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<label for="username">Username</label>
<input type="text" id="username" name="username" value="${escapeHtml(input.username ?? '')}" autofocus required autocapitalize="none">
<label for="password">Password</label>
<input type="password" id="password" name="password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${escapeHtml(input.abortAction)}">
<input type="hidden" name="csrf" value="${escapeHtml(input.csrf)}">
<button type="submit" class="link">Cancel</button>
</form>`,
  );
}

export function deviceInputPage(form: string, error: string | undefined): string {
  return page(
    'Device sign-in',
    `<h1>Device sign-in</h1>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '<p>Enter the code shown on your device.</p>'}
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`,
  );
}

export function deviceConfirmPage(form: string, clientName: string, userCode: string): string {
  return page(
    'Confirm device',
    `<h1>Confirm device</h1>
<p><b>${escapeHtml(clientName)}</b> asks to sign in. Check that your device shows this code:</p>
<p><code>${escapeHtml(userCode)}</code></p>
${form}
<button type="submit" form="op.deviceConfirmForm">Continue</button>
<button type="submit" class="link" form="op.deviceConfirmForm" value="yes" name="abort">Abort</button>`,
  );
}

export function deviceSuccessPage(clientName: string): string {
  return page('Signed in', `<h1>Signed in</h1><p>${escapeHtml(clientName)} is signed in. You can close this page.</p>`);
}

export function logoutPage(form: string, host: string): string {
  return page(
    'Sign out',
    `<h1>Sign out of ${escapeHtml(host)}?</h1>${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button type="submit" class="link" form="op.logoutForm">Stay signed in</button>`,
  );
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>Signed out</h1><p>You can close this page.</p>');
}

export function errorPage(error: string, description: string | undefined): string {
  return page(
    'Error',
    `<h1>Sign-in failed</h1><p class="error">${escapeHtml(error)}</p>${description ? `<p>${escapeHtml(description)}</p>` : ''}`,
  );
}
