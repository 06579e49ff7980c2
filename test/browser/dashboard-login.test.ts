/**
 * A person logs in to the dashboard (issue 11): a page without a session sends them to /login; a wrong
 * password says so; the right one opens a session cookie (HttpOnly, SameSite=Strict) and brings them back;
 * closing a quarter from the Periods page (a same-origin POST with the cookie) records them as who closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, usersFilePath } from '../../src/auth/users.ts';
import { type DashboardStack, previousQuarter, startDashboardStack } from '../helpers/dashboard-stack.ts';

let stack: DashboardStack;
let dataDir: string;
const PASSWORD = 'steppe-wind-2025-quarterly';

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kzm-browser-login-'));
  await addUser(usersFilePath(dataDir), { name: 'anna', role: 'accountant', password: PASSWORD });
  stack = await startDashboardStack({ service: { dataDir, http: { allowAnonymous: false } } });
}, 120_000);
afterAll(async () => {
  await stack?.cleanup();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('dashboard login', () => {
  it('redirects to /login, refuses a wrong password, logs in, and closes a quarter as the logged-in user', async () => {
    const quarter = previousQuarter(Date.now());
    const g = await stack.page();
    await g.page.goto(stack.url('/periods'));
    expect(new URL(g.page.url()).pathname).toBe('/login');

    await g.page.locator('input[name="username"]').fill('anna');
    await g.page.locator('input[name="password"]').fill('not-her-password');
    await g.page.locator('button[type="submit"]').click();
    await g.page.getByRole('alert').getByText('wrong user name or password').waitFor();

    await g.page.locator('input[name="password"]').fill(PASSWORD);
    await g.page.locator('button[type="submit"]').click();
    await g.page.waitForURL(stack.url('/periods'));
    const [cookie] = await g.page.context().cookies();
    expect(cookie).toMatchObject({ name: 'kzm_session', httpOnly: true, sameSite: 'Strict' });

    const row = g.page.locator(`tr[data-period="${quarter.label}"][data-taxpayer=""]`);
    await row.waitFor();
    // the name typed on the page is not who closes: the session's user is
    await g.page.locator('input[name="closedBy"]').fill('someone else');
    await row.locator('button[data-action="close"]').click();
    // the close preview asks for an acknowledgement (no meter sent readings in this test)
    const preview = g.page.getByTestId('close-preview');
    await preview.waitFor({ timeout: 30_000 });
    await preview.locator('textarea[name="acknowledgement"]').fill('test: no readings in this period');
    await preview.locator('button[data-action="confirm-close"]').click();
    await g.page.getByTestId('message').getByText(`${quarter.label} closed as v1.`).waitFor({ timeout: 30_000 });
    await row.locator('[data-col="by"]', { hasText: 'closed by anna' }).waitFor();
    await stack.screenshot(g.page, 'periods-closed-by-user');

    // the browser's 401 for the wrong password is the only error
    expect(g.errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    expect(g.external).toEqual([]);
    await g.page.close();
  });
});
