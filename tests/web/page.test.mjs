// The camera's web page in headless Chromium, against camcgi on the mock board.
// tests/api/web.rs runs this with CAMCGI_BIN (the server), CAMCGI_FIRMWARE (a
// packed image the mock board takes) and CAMCGI_SHOTS (where screenshots go).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BIN = process.env.CAMCGI_BIN;
const FIRMWARE = process.env.CAMCGI_FIRMWARE;
const SHOTS = process.env.CAMCGI_SHOTS || join(tmpdir(), 'camcgi-web-shots');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

let server;
let base;
let secureBase;
let log = '';
let browser;
let dataDir;

function startServer() {
  dataDir = mkdtempSync(join(tmpdir(), 'camcgi-web-'));
  server = spawn(BIN, ['--listen', '127.0.0.1:0', '--https-listen', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'debug'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`camcgi did not start:\n${log}`)), 30000);
    server.stderr.on('data', (chunk) => {
      log += chunk;
      const m = log.match(/listening on 127\.0\.0\.1:(\d+)\n/);
      const secure = log.match(/listening on 127\.0\.0\.1:(\d+) \(HTTPS\)/);
      if (m && secure && !base) {
        base = `http://127.0.0.1:${m[1]}`;
        secureBase = `https://127.0.0.1:${secure[1]}`;
        clearTimeout(timer);
        resolve();
      }
    });
    server.on('exit', (code) => reject(new Error(`camcgi exited ${code}:\n${log}`)));
  });
}

/** The API, straight from the test, to check what the page did. */
async function api(path, params = {}) {
  const q = new URLSearchParams(params).toString();
  const res = await fetch(`${base}${path}${q ? `?${q}` : ''}`);
  return { status: res.status, text: await res.text() };
}

async function adminUid() {
  const r = await api('/cgi-bin/getuid', { username: 'admin', password: '123456' });
  return r.text.match(/<uid>([^<]+)<\/uid>/)[1];
}

const attr = (text, name) => text.match(new RegExp(`${name}="([^"]*)"`))?.[1];

async function until(what, check, ms = 5000) {
  const end = Date.now() + ms;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function newPage(width = 1280, height = 900, options = {}) {
  const context = await browser.newContext({ viewport: { width, height }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().includes('Failed to load resource')) errors.push(m.text()); });
  page.errors = errors;
  return page;
}

async function logIn(page, username = 'admin', password = '123456', at = base) {
  await page.goto(`${at}/`);
  await page.fill('#login-form input[name=username]', username);
  await page.fill('#login-form input[name=password]', password);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#live:not([hidden])');
}

const shot = (page, name) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

before(async () => {
  assert.ok(BIN, 'CAMCGI_BIN names the camcgi binary');
  mkdirSync(SHOTS, { recursive: true });
  await startServer();
  // Playwright starts Chromium with a fresh profile of its own (its --user-data-dir).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the page is served with its security headers', async () => {
  const res = await fetch(`${base}/`, { headers: { 'Accept-Encoding': 'gzip' } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-security-policy'), /script-src 'self'/);
  assert.doesNotMatch(res.headers.get('content-security-policy'), /unsafe-inline/);
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.match(await res.text(), /<script type="module" src="\/app.js">/);
});

test('log in, see the live picture, and a wrong password shows the reason', async () => {
  const page = await newPage();
  await page.goto(`${base}/`);
  await shot(page, '01-login');
  await page.fill('#login-form input[name=username]', 'admin');
  await page.fill('#login-form input[name=password]', 'wrong');
  await page.click('#login-form button[type=submit]');
  // The reason names the password field: it shows next to it.
  await page.waitForSelector('#login-form .field-fault');
  assert.equal(await page.textContent('#login-form .field-fault'), 'password error');
  await logIn(page);
  await until('a live picture', () => page.$eval('#live-img', (img) => img.complete && img.naturalWidth > 0));
  await shot(page, '02-live');
  assert.deepEqual(page.errors, []);
});

test('a slider move is applied and reads back through the API', async () => {
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#image"]');
  await page.waitForSelector('#image-form input[name=brightness]');
  await until('the image settings', () => page.$eval('#image-form input[name=brightness]', (i) => i.value === '128'));
  await page.$eval('#image-form input[name=brightness]', (input) => {
    input.value = '201';
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
  const uid = await adminUid();
  await until('brightness 201 on the camera', async () => attr((await api('/cgi-bin/image', { uid })).text, 'brightness') === '201');
  await shot(page, '03-image-osd');
  assert.deepEqual(page.errors, []);
});

test('a fault the camera answers lands next to the field it names', async () => {
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#network"]');
  await until('the network settings', () => page.$eval('#network-form input[name=dns1]', (i) => i.value !== ''));
  await until('the time settings', () => page.$eval('#current-time', (t) => t.textContent !== ''));
  assert.equal(await page.$eval('#time-form select[name=timezone]', (s) => s.options.length), 32);
  await page.fill('#network-form input[name=dns1]', '999.1.1.1');
  await page.click('#network-form button[type=submit]');
  await page.waitForSelector('#network-form .field-fault');
  assert.equal(await page.textContent('#network-form .field-fault'), 'dns1 error');
  assert.equal(await page.$eval('#network-form input[name=dns1]', (i) => i.classList.contains('invalid')), true);
  await shot(page, '06-network-time');
  assert.deepEqual(page.errors, []);
});

test('holding a PTZ pad button moves the head, releasing it stops it', async () => {
  const page = await newPage();
  await logIn(page);
  const before = log.length;
  const right = await page.$('button[data-move="1,0"]');
  const box = await right.boundingBox();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await until('the move to reach the hardware', () => log.slice(before).includes('mock hardware: Ptz(Move { pan: Positive, tilt: Still, speed: 5 })'));
  assert.ok(!log.slice(before).includes('mock hardware: Ptz(Stop)'), 'no stop while held');
  await shot(page, '04-ptz-held');
  await page.mouse.up();
  await until('the stop to reach the hardware', () => log.slice(before).includes('mock hardware: Ptz(Stop)'));
  assert.deepEqual(page.errors, []);
});

test('the encoder forms offer only what the capabilities allow', async () => {
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#video"]');
  const form = '.stream-form[data-stream=stream1]';
  await until('the stream settings', () => page.$eval(`${form} select[name=resolution]`, (s) => s.options.length > 0));
  await page.selectOption(`${form} select[name=encode_mode]`, 'H264');
  await page.selectOption(`${form} select[name=resolution]`, '2592X1944');
  assert.equal(await page.$eval(`${form} input[name=framerate]`, (i) => i.max), '15');
  assert.equal(await page.$eval(`${form} input[name=framerate]`, (i) => i.value), '15', 'clamped to the range');
  await page.click(`${form} button[type=submit]`);
  const uid = await adminUid();
  await until('the main stream set', async () => /stream1 encode_mode="H264" resolution="2592X1944" framerate="15"/.test((await api('/cgi-bin/videoencoder', { uid })).text));
  await until('the audio settings', () => page.$eval('#audio-form select[name=bitrate]', (s) => s.options.length > 0));
  await page.selectOption('#audio-form select[name=encode_type]', 'AAC');
  assert.deepEqual(await page.$eval('#audio-form select[name=samplerate]', (s) => Array.from(s.options, (o) => o.value)), ['16000']);
  await shot(page, '05-video-audio');
  assert.deepEqual(page.errors, []);
});

test('motion cells toggled on the picture are saved as areavalue', async () => {
  const uid = await adminUid();
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#motion"]');
  await until('the grid', () => page.$$eval('#grid div', (c) => c.length === 22 * 18));
  const first = await page.$('#grid div[data-i="0"]');
  const box = await first.boundingBox();
  await first.click();
  await until('cell 0 off', async () => attr((await api('/cgi-bin/motion', { uid })).text, 'areavalue').startsWith('7f'));
  // A drag across the first row's next cells switches them off too.
  const third = await (await page.$('#grid div[data-i="3"]')).boundingBox();
  await page.mouse.move(box.x + box.width * 1.5, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(third.x + third.width / 2, third.y + third.height / 2, { steps: 5 });
  await page.mouse.up();
  await until('cells 1-3 off', async () => attr((await api('/cgi-bin/motion', { uid })).text, 'areavalue').startsWith('0f'));
  await shot(page, '07-motion');
  assert.deepEqual(page.errors, []);
});

test('a firmware image uploads to 100% and succeeds', async () => {
  assert.ok(FIRMWARE, 'CAMCGI_FIRMWARE names a packed image');
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#system"]');
  await page.setInputFiles('#firmware-form input[type=file]', FIRMWARE);
  await page.click('#firmware-form button[type=submit]');
  await page.waitForSelector('#fw-result.success', { timeout: 60000 });
  assert.equal(await page.$eval('#fw-progress', (p) => p.value), 100);
  assert.match(await page.textContent('#fw-result'), /100%/);
  await shot(page, '08-system-firmware');
  await until('the reboot to reach the hardware', () => log.includes('mock hardware: Reboot'));
  assert.deepEqual(page.errors, []);
});

test('a User sees no users screen; an Administrator does', async () => {
  const uid = await adminUid();
  const added = await api('/cgi-bin/user_management', { action: 'add', name: 'viewer', newpasswd: 'look1234', privilege: 'User', enable: 'Enable', uid });
  assert.equal(added.status, 200, added.text);
  const admin = await newPage();
  await logIn(admin);
  await admin.waitForSelector('#users-tab:not([hidden])');
  await admin.click('#users-tab');
  await until('the accounts', () => admin.$$eval('#user-rows tr', (r) => r.length === 2));
  await shot(admin, '09-users');
  const page = await newPage(390, 844);
  await logIn(page, 'viewer', 'look1234');
  assert.equal(await page.$eval('#users-tab', (t) => t.hidden), true);
  assert.equal(await page.$eval('#integration-tab', (t) => t.hidden), true);
  await page.goto(`${base}/#users`);
  await page.waitForSelector('#live:not([hidden])');
  assert.equal(await page.$eval('#users', (s) => s.hidden), true);
  await shot(page, '10-phone-user');
  assert.deepEqual(page.errors, []);
});

test('the integration screen sets the ONVIF switches and the upload targets, and tests a target', async () => {
  const page = await newPage();
  await logIn(page);
  await page.waitForSelector('#integration-tab:not([hidden])');
  await page.click('#integration-tab');
  await until('the ONVIF switches', () => page.$eval('#onvif-form input[name=discoverable]', (i) => i.checked));
  const uid = await adminUid();
  await page.uncheck('#onvif-form input[name=discoverable]');
  await page.click('#onvif-form button[type=submit]');
  await until('discovery off on the camera', async () => attr((await api('/cgi-bin/onvif', { uid })).text, 'discoverable') === '0');
  await page.fill('#targets-form input[name=ftp_server]', 'ftp.example.org');
  await page.fill('#targets-form input[name=ftp_password]', 'secret1');
  await page.click('#targets-form button[type=submit]');
  await until('the FTP server on the camera', async () => attr((await api('/cgi-bin/upload_targets', { uid })).text, 'ftp_server') === 'ftp.example.org');
  // The page clears the password once the camera has answered, which may be after the test saw the change.
  await until('a password not kept in the form', () => page.$eval('#targets-form input[name=ftp_password]', (i) => i.value === ''));
  // A value the camera refuses lands next to its field, and changes nothing.
  await page.fill('#targets-form input[name=ftp_dir]', '../up');
  await page.click('#targets-form button[type=submit]');
  await page.waitForSelector('#targets-form .field-fault');
  assert.equal(await page.textContent('#targets-form .field-fault'), 'ftp_dir error');
  assert.equal(attr((await api('/cgi-bin/upload_targets', { uid })).text, 'ftp_dir'), '');
  // The test button sends a snapshot, and says what the camera answered.
  await page.click('#targets-form button[data-upload="2"]');
  await until('the e-mail test', () => page.$eval('#upload-result', (p) => p.textContent === 'Test e-mail: Email not deploy'));
  await shot(page, '11-integration');
  await page.check('#onvif-form input[name=discoverable]');
  await page.click('#onvif-form button[type=submit]');
  await until('discovery back on', async () => attr((await api('/cgi-bin/onvif', { uid })).text, 'discoverable') === '1');
  assert.deepEqual(page.errors, []);
});

test('an unknown session returns to the login with a word why', async () => {
  const page = await newPage();
  await logIn(page);
  await page.evaluate(() => sessionStorage.setItem('uid', '0123456789abcdef0123456789abcdef'));
  // The page's first request after the reload meets the camera's `uid error`.
  await page.reload();
  await page.waitForSelector('#login:not([hidden])');
  assert.match(await page.textContent('#login-form .fault'), /log in again/);
  assert.deepEqual(page.errors, []);
});

test("the time can be set by hand from this computer's clock", async () => {
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#network"]');
  // The screen has loaded the camera's settings once it shows the camera's time.
  await until('the time settings', () => page.$eval('#current-time', (t) => t.textContent !== ''));
  await page.selectOption('#time-form select[name=timezone]', 'GMT+08:00');
  await page.selectOption('#time-form select[name=update_method]', 'MANUAL');
  await page.click('#use-computer-time');
  const uid = await adminUid();
  const time = await until('manual time on the camera', async () => {
    const t = (await api('/cgi-bin/time', { uid })).text;
    return attr(t, 'update_method') === 'MANUAL' && t;
  });
  assert.equal(attr(time, 'timezone'), 'GMT+08:00');
  const shown = Date.parse(`${attr(time, 'current_time').replace(' ', 'T')}Z`) - 8 * 3600 * 1000;
  assert.ok(Math.abs(shown - Date.now()) < 60000, `camera time ${attr(time, 'current_time')} is this computer's`);
  assert.deepEqual(page.errors, []);
});

test('reboot asks first, and does nothing when cancelled', async () => {
  const page = await newPage();
  await logIn(page);
  await page.click('a[href="#system"]');
  const reboots = () => log.split('mock hardware: Reboot').length - 1;
  const before = reboots();
  await page.click('#reboot');
  await page.waitForSelector('#confirm[open]');
  await shot(page, '11-confirm-reboot');
  await page.click('#confirm button[value=cancel]');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(reboots(), before);
  await page.click('#reboot');
  await page.click('#confirm-ok');
  await until('the reboot', () => reboots() === before + 1);
  assert.deepEqual(page.errors, []);
});

test('over HTTPS: the page works, installs a certificate, and sends plain HTTP to HTTPS', async () => {
  // The camera's certificate is self-signed: this browser is told to take it.
  const page = await newPage(1280, 900, { ignoreHTTPSErrors: true });
  await logIn(page, 'admin', '123456', secureBase);
  assert.equal(new URL(page.url()).protocol, 'https:');
  await until('a live picture over HTTPS', () => page.$eval('#live-img', (img) => img.complete && img.naturalWidth > 0));
  await page.click('#integration-tab');
  await until('the HTTPS state', () => page.$eval('#https-state', (p) => p.textContent.includes("the camera's own self-signed")));

  // An administrator's certificate, made with OpenSSL, chosen as files.
  const certificate = join(dataDir, 'page.crt');
  const key = join(dataDir, 'page.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '30',
    '-subj', '/CN=camera.example', '-keyout', key, '-out', certificate], { stdio: 'ignore' });
  const fingerprint = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certificate]).toString()
    .trim().split('=')[1].replaceAll(':', '').toLowerCase();
  await page.setInputFiles('#https-form input[name=files]', [certificate, key]);
  await page.click('#https-install');
  await until('the installed certificate',
    () => page.$eval('#https-state', (p, f) => p.textContent.includes(`an installed certificate, SHA-256 ${f}`), fingerprint));
  // Half a pair is refused next to the form, and the certificate stays.
  await page.fill('#https-form textarea[name=pem]', 'not a certificate');
  await page.click('#https-install');
  await until('the refusal', () => page.$eval('#https-form .fault', (p) => p.textContent === 'certificate: no PEM certificate'));
  const uid = await adminUid();
  assert.equal(attr((await api('/cgi-bin/https', { uid })).text, 'fingerprint'), fingerprint);

  // Plain HTTP sent to HTTPS: a browser that types the http:// address lands on https://.
  await page.selectOption('#https-form select[name=plain_http]', 'redirect');
  await page.click('#https-form button[type=submit]');
  await until('the redirect on the camera', async () => (await fetch(`${base}/`, { redirect: 'manual' })).status === 308);
  await page.goto(`${base}/`);
  assert.equal(new URL(page.url()).origin, secureBase);
  await page.click('#integration-tab');
  await until('the switch shown', () => page.$eval('#https-form select[name=plain_http]', (s) => s.value === 'redirect'));
  await shot(page, '13-https');
  await page.selectOption('#https-form select[name=plain_http]', 'on');
  await page.click('#https-form button[type=submit]');
  await until('plain HTTP served again', async () => (await fetch(`${base}/`, { redirect: 'manual' })).status === 200);
  assert.deepEqual(page.errors, []);
});
